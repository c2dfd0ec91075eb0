import type { BatchResult } from "../contracts/station";
import { createError, ErrorCodes } from "../errors";
import type { DeviceResult } from "../pipeline/types";
import { redactSecretText } from "./redact";

/** Summary statistics of a set of samples; `p50`/`p95` use the nearest-rank method. */
export interface SampleStats {
  samples: number;
  mean: number;
  p50: number;
  p95: number;
  min: number;
  max: number;
}

/** Counts for a group of devices (one station, one board type). */
export interface GroupStats {
  devices: number;
  passed: number;
  failed: number;
  aborted: number;
  /** passed / (passed + failed); null when nothing finished. */
  passRate: number | null;
  /** Write + verify time of the successful flash attempt, over devices that got that far. */
  flashTimeSeconds: SampleStats | null;
  /** Image bytes written (regions skipped as unchanged are not counted). */
  bytesWritten: number;
}

/** One failed or aborted device in the report. */
export interface ReportedFailure {
  stationId: string;
  port: string;
  boardType: string;
  deviceId?: string;
  code: string;
  step?: string;
  message: string;
  attempts: number;
}

/** Contents of `batch_report_YYYYMMDD_HHMMSS.json`. */
export interface BatchReport {
  schema: "factory.batch-report/1";
  generatedAt: string;
  batchIds: string[];
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  /** True when any of the passes was stopped early. */
  aborted: boolean;
  totals: GroupStats;
  stations: Record<string, GroupStats>;
  boards: Record<string, GroupStats>;
  failures: {
    /** Failed and aborted devices by error code (`UNKNOWN` when a result has none). */
    byCode: Record<string, number>;
    /** By pipeline step, where the error names one. */
    byStep: Record<string, number>;
    devices: ReportedFailure[];
  };
  gates: Record<string, { passed: number; failed: number }>;
  performance: {
    flashTimeSeconds: SampleStats | null;
    /** Finished devices (passed + failed) per hour of the batch's wall time; null for a zero-length batch. */
    throughputDevicesPerHour: number | null;
    passedPerHour: number | null;
    totalBytesWritten: number;
    meanAttempts: number | null;
    /** Devices that needed more than one attempt. */
    retriedDevices: number;
  };
}

/** Nearest-rank percentile of sorted samples: the smallest value with at least p% at or below it. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

function sampleStats(values: number[]): SampleStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    samples: sorted.length,
    mean: round(sum / sorted.length),
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  };
}

const round = (n: number, digits = 3): number => Number(n.toFixed(digits));
const flashSeconds = (r: DeviceResult): number | undefined =>
  r.flashTimeMs === undefined ? undefined : r.flashTimeMs / 1000;

function groupStats(results: readonly DeviceResult[]): GroupStats {
  const passed = results.filter((r) => r.status === "passed").length;
  const failed = results.filter((r) => r.status === "failed").length;
  return {
    devices: results.length,
    passed,
    failed,
    aborted: results.length - passed - failed,
    passRate: passed + failed === 0 ? null : round(passed / (passed + failed), 4),
    flashTimeSeconds: sampleStats(results.map(flashSeconds).filter((s): s is number => s !== undefined)),
    bytesWritten: results.reduce((s, r) => s + (r.flash?.bytesWritten ?? 0), 0),
  };
}

function groupBy(rows: readonly Row[], key: (row: Row) => string): Record<string, GroupStats> {
  const groups = new Map<string, DeviceResult[]>();
  for (const row of rows) {
    const k = key(row);
    const list = groups.get(k) ?? [];
    list.push(row.result);
    groups.set(k, list);
  }
  return Object.fromEntries(
    [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, groupStats(v)]),
  );
}

interface Row {
  stationId: string;
  result: DeviceResult;
}

function validDate(d: unknown): d is Date {
  return d instanceof Date && !Number.isNaN(d.getTime());
}

/**
 * Computes the batch report of one or several station passes (several when a line runs all its
 * stations as one batch). Counts come from the device results themselves. Error messages are
 * passed through secret redaction. Throws `INVALID_ARGUMENT` for malformed input.
 */
export function buildBatchReport(
  batches: BatchResult | readonly BatchResult[],
  options: { now?: Date } = {},
): BatchReport {
  const list: readonly BatchResult[] = Array.isArray(batches) ? batches : [batches as BatchResult];
  if (list.length === 0)
    throw createError("core", ErrorCodes.INVALID_ARGUMENT, "A batch report needs at least one batch");
  for (const b of list) {
    if (typeof b?.stationId !== "string" || typeof b.batchId !== "string" || !Array.isArray(b.results)) {
      throw createError(
        "core",
        ErrorCodes.INVALID_ARGUMENT,
        "Batch result needs batchId, stationId and results",
      );
    }
    if (!validDate(b.startedAt) || !validDate(b.finishedAt) || b.finishedAt < b.startedAt) {
      throw createError(
        "core",
        ErrorCodes.INVALID_ARGUMENT,
        `Batch ${b.batchId} has invalid start/finish times`,
      );
    }
  }
  const rows: Row[] = list.flatMap((b) => b.results.map((result) => ({ stationId: b.stationId, result })));
  const results = rows.map((r) => r.result);
  const startedAt = new Date(Math.min(...list.map((b) => b.startedAt.getTime())));
  const finishedAt = new Date(Math.max(...list.map((b) => b.finishedAt.getTime())));
  const durationSeconds = (finishedAt.getTime() - startedAt.getTime()) / 1000;
  const totals = groupStats(results);

  const byCode: Record<string, number> = {};
  const byStep: Record<string, number> = {};
  const devices: ReportedFailure[] = [];
  for (const { stationId, result } of rows) {
    if (result.status === "passed") continue;
    const code = result.error?.code ?? (result.status === "aborted" ? ErrorCodes.ABORTED : "UNKNOWN");
    byCode[code] = (byCode[code] ?? 0) + 1;
    if (result.error?.step) byStep[result.error.step] = (byStep[result.error.step] ?? 0) + 1;
    const failure: ReportedFailure = {
      stationId,
      port: result.port.label ?? result.port.path,
      boardType: result.boardType,
      code,
      message: redactSecretText(result.error?.message ?? ""),
      attempts: result.attempts,
    };
    if (result.deviceId) failure.deviceId = result.deviceId;
    if (result.error?.step) failure.step = result.error.step;
    devices.push(failure);
  }

  const gates: Record<string, { passed: number; failed: number }> = {};
  for (const r of results) {
    for (const g of r.gates) {
      const entry = gates[g.gate] ?? { passed: 0, failed: 0 };
      gates[g.gate] = entry;
      if (g.passed) entry.passed += 1;
      else entry.failed += 1;
    }
  }

  const hours = durationSeconds / 3600;
  const finished = totals.passed + totals.failed;
  return {
    schema: "factory.batch-report/1",
    generatedAt: (options.now ?? new Date()).toISOString(),
    batchIds: [...new Set(list.map((b) => b.batchId))],
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: round(durationSeconds),
    aborted: list.some((b) => b.aborted),
    totals,
    stations: groupBy(rows, (r) => r.stationId),
    boards: groupBy(rows, (r) => r.result.boardType),
    failures: { byCode, byStep, devices },
    gates,
    performance: {
      flashTimeSeconds: totals.flashTimeSeconds,
      throughputDevicesPerHour: hours > 0 ? round(finished / hours, 2) : null,
      passedPerHour: hours > 0 ? round(totals.passed / hours, 2) : null,
      totalBytesWritten: totals.bytesWritten,
      meanAttempts:
        results.length === 0 ? null : round(results.reduce((s, r) => s + r.attempts, 0) / results.length),
      retriedDevices: results.filter((r) => r.attempts > 1).length,
    },
  };
}
