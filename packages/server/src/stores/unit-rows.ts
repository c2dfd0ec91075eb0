import type { MetricRow, Unit, UnitStatus } from "@factory/core";
import { defined, notFound, transition } from "./shared";
import type { TimeCodec } from "./time-codec";

/** A `units` row as drizzle reads it in either dialect; `T` is the dialect's time value. */
export interface UnitRow<T> {
  mac: string;
  serial: string | null;
  status: UnitStatus;
  stage: string | null;
  port: string | null;
  buildTime: T | null;
  buildDurationSeconds: number | null;
  testResults: Record<string, string> | null;
  failedTests: string[] | null;
  errorLog: string | null;
  diagnosticData: string | null;
  lastHeartbeat: T | null;
  createdAt: T;
  updatedAt: T;
  labeledAt: T | null;
  labelPrints: number;
  reportFingerprint: string | null;
}

/** The {@link Unit} a row stands for (absent columns left out, `reprints` from the print count). */
export function toUnit<T>(r: UnitRow<T>, time: TimeCodec<T>): Unit {
  return {
    mac: r.mac,
    status: r.status,
    ...defined({
      serial: r.serial,
      stage: r.stage,
      port: r.port,
      buildTime: r.buildTime === null ? null : time.fromDb(r.buildTime),
      buildDurationSeconds: r.buildDurationSeconds,
      testResults: r.testResults,
      failedTests: r.failedTests,
      errorLog: r.errorLog,
      diagnosticData: r.diagnosticData,
      lastHeartbeat: r.lastHeartbeat === null ? null : time.fromDb(r.lastHeartbeat),
      labeledAt: r.labeledAt === null ? null : time.fromDb(r.labeledAt),
    }),
    createdAt: time.fromDb(r.createdAt),
    updatedAt: time.fromDb(r.updatedAt),
    reprints: Math.max(0, r.labelPrints - 1),
    hasCredentials: r.status === "ready",
  };
}

/**
 * Maps a `units` row read with a raw statement (snake_case column names) onto the drizzle row
 * shape, for the heartbeat statements that bypass drizzle. `json` reads a JSON column: SQLite
 * returns its text, PostgreSQL has already parsed it.
 */
export function unitRowFromRaw<T>(r: Record<string, unknown>, json: (v: unknown) => unknown): UnitRow<T> {
  return {
    mac: r.mac as string,
    serial: r.serial as string | null,
    status: r.status as UnitStatus,
    stage: r.stage as string | null,
    port: r.port as string | null,
    buildTime: r.build_time as T | null,
    buildDurationSeconds: r.build_duration_seconds as number | null,
    testResults: json(r.test_results) as Record<string, string> | null,
    failedTests: json(r.failed_tests) as string[] | null,
    errorLog: r.error_log as string | null,
    diagnosticData: r.diagnostic_data as string | null,
    lastHeartbeat: r.last_heartbeat as T | null,
    createdAt: r.created_at as T,
    updatedAt: r.updated_at as T,
    labeledAt: r.labeled_at as T | null,
    labelPrints: r.label_prints as number,
    reportFingerprint: r.report_fingerprint as string | null,
  };
}

/** The error for a heartbeat the store did not write: the unit is in a status that takes none. */
export function heartbeatRefused(mac: string, status: string | undefined) {
  return transition(mac, status ?? "unknown", "building");
}

/** The error for a label print the store did not count: the unit is not `ready`, or unknown. */
export function labelPrintRefused(mac: string, existing: { status: string } | undefined) {
  return existing ? transition(mac, existing.status, "printed") : notFound(mac);
}

/** What the shared metric reduction (`computeMetrics`) reads of a row the metrics query selected. */
export function toMetricRow<T>(
  r: {
    status: string;
    buildTime: T | null;
    buildDurationSeconds: number | null;
    failedTests: string[] | null;
    labelPrints: number;
  },
  time: TimeCodec<T>,
): MetricRow {
  return { ...r, buildTime: time.fromDb(r.buildTime as T) };
}
