import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BatchResult } from "../contracts/station";
import { isFactoryError } from "../errors";
import type { DeviceResult, ErrorInfo, GateResult } from "../pipeline/types";
import { buildBatchReport, percentile } from "./batch-report";
import { writeBatchReport } from "./write-batch-report";

const T0 = new Date(2025, 8, 29, 8, 0, 0);
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function device(
  n: number,
  boardType: string,
  status: DeviceResult["status"],
  opts: { flashMs?: number; bytes?: number; attempts?: number; error?: ErrorInfo; gates?: GateResult[] } = {},
): DeviceResult {
  const result: DeviceResult = {
    port: { path: `/dev/ttyUSB${n}`, label: `A${n}` },
    status,
    deviceId: `${boardType}-${n}`,
    boardType,
    tests: [],
    gates: opts.gates ?? [],
    attempts: opts.attempts ?? 1,
    startedAt: at(n),
    finishedAt: at(n + 1),
  };
  if (opts.flashMs !== undefined) result.flashTimeMs = opts.flashMs;
  if (opts.bytes !== undefined)
    result.flash = { regions: [], bytesWritten: opts.bytes, durationMs: opts.flashMs ?? 0 };
  if (opts.error) result.error = opts.error;
  return result;
}

const station1: BatchResult = {
  batchId: "B-0929",
  stationId: "station_1",
  startedAt: at(0),
  finishedAt: at(60),
  passed: 3,
  failed: 1,
  aborted: false,
  results: [
    device(1, "esp32", "passed", {
      flashMs: 10_000,
      bytes: 1000,
      gates: [{ gate: "max_flash_time", passed: true, limit: 120, actual: 10 }],
    }),
    device(2, "esp32", "passed", { flashMs: 20_000, bytes: 2000, attempts: 2 }),
    device(3, "esp32", "failed", {
      attempts: 3,
      error: { code: "FLASH_FAILED", step: "write", message: "No answer after block 12" },
    }),
    device(4, "esp8266", "passed", { flashMs: 30_000, bytes: 500 }),
  ],
};

const station2: BatchResult = {
  batchId: "B-0929",
  stationId: "station_2",
  startedAt: at(10),
  finishedAt: at(120),
  passed: 0,
  failed: 2,
  aborted: true,
  results: [
    device(5, "stm32", "failed", {
      flashMs: 40_000,
      bytes: 4000,
      error: { code: "VERIFY_FAILED", step: "verify", message: "CRC mismatch in app" },
      gates: [{ gate: "max_flash_time", passed: false, limit: 30, actual: 40 }],
    }),
    device(6, "stm32", "aborted"),
    device(7, "stm32", "failed", {
      flashMs: 50_000,
      bytes: 100,
      error: { code: "TEST_FAILED", step: "test", message: "wifi_test with psk=hunter22 failed" },
    }),
  ],
};

describe("percentile", () => {
  it("uses the nearest-rank method", () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 95)).toBe(95);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
    expect(percentile([7], 5)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe("buildBatchReport", () => {
  const now = new Date(2025, 8, 29, 10, 5, 0);
  const report = buildBatchReport([station1, station2], { now });

  it("counts devices from their results", () => {
    expect(report.batchIds).toEqual(["B-0929"]);
    expect(report.startedAt).toBe(at(0).toISOString());
    expect(report.finishedAt).toBe(at(120).toISOString());
    expect(report.generatedAt).toBe(now.toISOString());
    expect(report.durationSeconds).toBe(7200);
    expect(report.aborted).toBe(true);
    expect(report.totals).toEqual({
      devices: 7,
      passed: 3,
      failed: 3,
      aborted: 1,
      passRate: 0.5,
      flashTimeSeconds: { samples: 5, mean: 30, p50: 30, p95: 50, min: 10, max: 50 },
      bytesWritten: 7600,
    });
  });

  it("breaks statistics down per station and per board type", () => {
    expect(report.stations).toEqual({
      station_1: {
        devices: 4,
        passed: 3,
        failed: 1,
        aborted: 0,
        passRate: 0.75,
        flashTimeSeconds: { samples: 3, mean: 20, p50: 20, p95: 30, min: 10, max: 30 },
        bytesWritten: 3500,
      },
      station_2: {
        devices: 3,
        passed: 0,
        failed: 2,
        aborted: 1,
        passRate: 0,
        flashTimeSeconds: { samples: 2, mean: 45, p50: 40, p95: 50, min: 40, max: 50 },
        bytesWritten: 4100,
      },
    });
    expect(Object.keys(report.boards)).toEqual(["esp32", "esp8266", "stm32"]);
    expect(report.boards.esp32).toMatchObject({
      devices: 3,
      passed: 2,
      failed: 1,
      passRate: 0.6667,
      bytesWritten: 3000,
    });
    expect(report.boards.esp32!.flashTimeSeconds).toEqual({
      samples: 2,
      mean: 15,
      p50: 10,
      p95: 20,
      min: 10,
      max: 20,
    });
    expect(report.boards.esp8266).toMatchObject({ devices: 1, passed: 1, passRate: 1, bytesWritten: 500 });
    expect(report.boards.stm32).toMatchObject({ devices: 3, passed: 0, failed: 2, aborted: 1, passRate: 0 });
  });

  it("groups failure reasons by code and step, redacting secrets in messages", () => {
    expect(report.failures.byCode).toEqual({ FLASH_FAILED: 1, VERIFY_FAILED: 1, ABORTED: 1, TEST_FAILED: 1 });
    expect(report.failures.byStep).toEqual({ write: 1, verify: 1, test: 1 });
    expect(report.failures.devices).toHaveLength(4);
    expect(report.failures.devices[0]).toEqual({
      stationId: "station_1",
      port: "A3",
      boardType: "esp32",
      deviceId: "esp32-3",
      code: "FLASH_FAILED",
      step: "write",
      message: "No answer after block 12",
      attempts: 3,
    });
    const wifi = report.failures.devices.find((d) => d.code === "TEST_FAILED")!;
    expect(wifi.message).toBe("wifi_test with psk=[redacted] failed");
    expect(JSON.stringify(report)).not.toContain("hunter22");
  });

  it("computes throughput, bytes, attempts and gate counts", () => {
    expect(report.performance).toEqual({
      flashTimeSeconds: report.totals.flashTimeSeconds,
      throughputDevicesPerHour: 3,
      passedPerHour: 1.5,
      totalBytesWritten: 7600,
      meanAttempts: 1.429,
      retriedDevices: 2,
    });
    expect(report.gates).toEqual({ max_flash_time: { passed: 1, failed: 1 } });
  });

  it("handles an empty batch without dividing by zero", () => {
    const empty = buildBatchReport({ ...station1, results: [], startedAt: at(0), finishedAt: at(0) });
    expect(empty.totals).toMatchObject({ devices: 0, passRate: null, flashTimeSeconds: null });
    expect(empty.performance).toMatchObject({ throughputDevicesPerHour: null, meanAttempts: null });
  });

  it("rejects malformed batches with INVALID_ARGUMENT", () => {
    const bad = [
      [],
      { ...station1, finishedAt: at(-5) },
      { ...station1, results: undefined },
      { ...station1, startedAt: "x" },
    ];
    for (const b of bad) {
      expect(() => buildBatchReport(b as BatchResult)).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT" }),
      );
    }
  });
});

describe("writeBatchReport", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "factory-reports-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes batch_report_YYYYMMDD_HHMMSS.json named after the finish time, never overwriting", async () => {
    const now = new Date(2025, 8, 29, 10, 5, 0);
    const first = await writeBatchReport(dir, [station1, station2], { now });
    expect(path.basename(first.file)).toBe("batch_report_20250929_100000.json");
    expect(JSON.parse(await readFile(first.file, "utf8"))).toEqual(
      buildBatchReport([station1, station2], { now }),
    );
    const second = await writeBatchReport(dir, station1, { now });
    expect(path.basename(second.file)).toBe("batch_report_20250929_090000.json");
    const third = await writeBatchReport(dir, [station1, station2], { now });
    expect(path.basename(third.file)).toBe("batch_report_20250929_100000_2.json");
    expect((await readdir(dir)).sort()).toEqual([
      "batch_report_20250929_090000.json",
      "batch_report_20250929_100000.json",
      "batch_report_20250929_100000_2.json",
    ]);
  });

  it("writes nothing for a malformed batch or a cancelled call", async () => {
    const target = path.join(dir, "reports");
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => (isFactoryError(e) ? e.code : String(e)),
      );
    expect(await codeOf(writeBatchReport(target, { ...station1, finishedAt: at(-1) }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(await codeOf(writeBatchReport(dir, station1, { signal: AbortSignal.abort() }))).toBe("ABORTED");
    expect(await readdir(dir)).toEqual([]);
  });

  it("fails with RECORD_FAILED when the folder cannot be created", async () => {
    const blocker = path.join(dir, "file");
    await writeFile(blocker, "");
    await expect(writeBatchReport(path.join(blocker, "reports"), station1)).rejects.toMatchObject({
      code: "RECORD_FAILED",
    });
  });
});
