import { describe, expect, it } from "vitest";
import { epochMs, nativeDate } from "./time-codec";
import { toUnit, type UnitRow, unitRowFromRaw } from "./unit-rows";

const created = new Date("2026-12-01T08:00:00.000Z");
const built = new Date("2026-12-01T08:10:00.000Z");

const raw = (time: (d: Date) => unknown, json: (v: unknown) => unknown) => ({
  mac: "24:0a:c4:00:00:01",
  serial: null,
  status: "failed",
  stage: "selftest",
  port: null,
  build_time: time(built),
  build_duration_seconds: 600,
  test_results: json({ wifi: "fail" }),
  failed_tests: json(["wifi"]),
  error_log: "boom",
  diagnostic_data: null,
  last_heartbeat: null,
  created_at: time(created),
  updated_at: time(built),
  labeled_at: null,
  label_prints: 0,
  report_fingerprint: "fp",
});

const expected = {
  mac: "24:0a:c4:00:00:01",
  status: "failed",
  stage: "selftest",
  buildTime: built,
  buildDurationSeconds: 600,
  testResults: { wifi: "fail" },
  failedTests: ["wifi"],
  errorLog: "boom",
  createdAt: created,
  updatedAt: built,
  reprints: 0,
  hasCredentials: false,
};

describe("unit rows", () => {
  it("a SQLite raw row (epoch ms, JSON text) and a PostgreSQL one (Dates, parsed JSON) give the same unit", () => {
    const sqliteRow = unitRowFromRaw<number>(
      raw(
        (d) => d.getTime(),
        (v) => JSON.stringify(v),
      ),
      (v) => (typeof v === "string" ? JSON.parse(v) : null),
    );
    const pgRow = unitRowFromRaw<Date>(
      raw(
        (d) => d,
        (v) => v,
      ),
      (v) => v,
    );
    expect(toUnit(sqliteRow, epochMs)).toStrictEqual(expected);
    expect(toUnit(pgRow, nativeDate)).toStrictEqual(expected);
  });

  it("leaves absent columns out and counts reprints beyond the first label", () => {
    const row: UnitRow<number> = {
      ...unitRowFromRaw<number>(
        raw(
          (d) => d.getTime(),
          () => null,
        ),
        () => null,
      ),
      status: "labeled",
      labeledAt: built.getTime(),
      labelPrints: 3,
    };
    const unit = toUnit(row, epochMs);
    expect(unit).not.toHaveProperty("testResults");
    expect(unit).not.toHaveProperty("serial");
    expect(unit.labeledAt).toEqual(built);
    expect(unit.reprints).toBe(2);
    expect(unit.hasCredentials).toBe(false);
  });
});
