import { describe, expect, it } from "vitest";
import { computeMetrics, type MetricRow } from "./metrics";

const at = (iso: string) => new Date(iso);

describe("computeMetrics", () => {
  it("reduces rows to success rate by day, mean duration, failed tests and reprints", () => {
    const rows: MetricRow[] = [
      { status: "ready", buildTime: at("2025-09-29T08:00:00Z"), buildDurationSeconds: 100, labelPrints: 1 },
      { status: "labeled", buildTime: at("2025-09-29T23:59:59Z"), buildDurationSeconds: 200, labelPrints: 3 },
      {
        status: "failed",
        buildTime: at("2025-09-29T10:00:00Z"),
        buildDurationSeconds: 999,
        failedTests: ["wifi", "usb"],
        labelPrints: 0,
      },
      { status: "failed", buildTime: at("2025-09-30T00:00:00Z"), failedTests: ["usb"], labelPrints: 0 },
      // Neither success nor failure: left out of every figure.
      { status: "building", buildTime: at("2025-09-30T01:00:00Z"), buildDurationSeconds: 5, labelPrints: 0 },
    ];
    expect(computeMetrics(rows)).toEqual({
      successRateByDay: [
        { date: "2025-09-30", success: 0, failed: 1, successRate: 0 },
        { date: "2025-09-29", success: 2, failed: 1, successRate: 66.67 },
      ],
      averageBuildDurationSeconds: 150,
      commonFailedTests: [
        { test: "usb", count: 2 },
        { test: "wifi", count: 1 },
      ],
      reprints: 2,
    });
  });

  it("treats a null duration and null failed tests (SQL rows) like absent ones", () => {
    const m = computeMetrics([
      { status: "ready", buildTime: at("2025-01-01T00:00:00Z"), buildDurationSeconds: null, labelPrints: 0 },
      { status: "failed", buildTime: at("2025-01-01T00:00:00Z"), failedTests: null, labelPrints: 0 },
    ]);
    expect(m.averageBuildDurationSeconds).toBeNull();
    expect(m.commonFailedTests).toEqual([]);
    expect(m.reprints).toBe(0);
  });

  it("breaks ties between failed tests by name", () => {
    const m = computeMetrics([
      { status: "failed", buildTime: at("2025-01-01T00:00:00Z"), failedTests: ["b", "a"], labelPrints: 0 },
    ]);
    expect(m.commonFailedTests.map((t) => t.test)).toEqual(["a", "b"]);
  });

  it("gives empty figures for no rows", () => {
    expect(computeMetrics([])).toEqual({
      successRateByDay: [],
      averageBuildDurationSeconds: null,
      commonFailedTests: [],
      reprints: 0,
    });
  });
});
