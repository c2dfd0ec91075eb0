import {
  BATCH_REPORT_ACTION,
  type BatchReport,
  BOARD_RECORD_ACTION,
  type BoardRecord,
  type Page,
  recordAudit,
  toPage,
} from "./board-records";
import { defined, validDate } from "./shared";
import type { TimeCodec } from "./time-codec";

// Row ↔ record mapping of `board_records` and `board_batch_reports`, the same in both dialects
// but for how a time is stored (see TimeCodec).

/** A `board_records` row as drizzle reads it in either dialect. */
export interface BoardRecordRow<T> {
  recordId: string;
  timestamp: T;
  stationId: string;
  batchId: string;
  mac: string | null;
  status: "passed" | "failed";
  cells: Record<string, string>;
  sentBy: string;
  receivedAt: T;
}

/** The `board_records` row of a record (its times checked). */
export function boardRecordRow<T>(r: BoardRecord, time: TimeCodec<T>): BoardRecordRow<T> {
  return {
    recordId: r.recordId,
    timestamp: time.toDb(validDate(r.timestamp, "timestamp")),
    stationId: r.stationId,
    batchId: r.batchId,
    mac: r.mac ?? null,
    status: r.status,
    cells: r.cells,
    sentBy: r.sentBy,
    receivedAt: time.toDb(validDate(r.receivedAt, "receivedAt")),
  };
}

/** The audit event written with a new record: who sent it, when it was received. */
export function boardRecordAudit<T>(row: BoardRecordRow<T>, r: BoardRecord) {
  return {
    at: row.receivedAt,
    actor: row.sentBy,
    action: BOARD_RECORD_ACTION,
    mac: row.mac,
    details: recordAudit(r),
  };
}

/** The audit event written with a new or replaced batch report. */
export function batchReportAudit<T>(at: T, sentBy: string, reportId: string, replaced: boolean) {
  return { at, actor: sentBy, action: BATCH_REPORT_ACTION, details: { report_id: reportId, replaced } };
}

export function toBoardRecord<T>(r: BoardRecordRow<T>, time: TimeCodec<T>): BoardRecord {
  return {
    recordId: r.recordId,
    timestamp: time.fromDb(r.timestamp),
    stationId: r.stationId,
    batchId: r.batchId,
    ...defined({ mac: r.mac }),
    status: r.status,
    cells: r.cells,
    sentBy: r.sentBy,
    receivedAt: time.fromDb(r.receivedAt),
  };
}

/** A `board_batch_reports` row as drizzle reads it in either dialect. */
export interface BatchReportRow<T> {
  reportId: string;
  generatedAt: string;
  batchIds: string[];
  aborted: boolean | null;
  devices: number;
  passed: number;
  failed: number;
  document: Record<string, unknown>;
  sentBy: string;
  receivedAt: T;
  updatedAt: T;
}

export function toBatchReport<T>(r: BatchReportRow<T>, time: TimeCodec<T>): BatchReport {
  return {
    reportId: r.reportId,
    generatedAt: r.generatedAt,
    batchIds: r.batchIds,
    ...defined({ aborted: r.aborted }),
    devices: r.devices,
    passed: r.passed,
    failed: r.failed,
    document: r.document,
    sentBy: r.sentBy,
    receivedAt: time.fromDb(r.receivedAt),
    updatedAt: time.fromDb(r.updatedAt),
  };
}

/** A page of records from `size + 1` rows fetched newest first (the extra row tells a next page exists). */
export function boardRecordPage<T>(
  rows: BoardRecordRow<T>[],
  size: number,
  time: TimeCodec<T>,
): Page<BoardRecord> {
  return toPage(
    rows.map((r) => toBoardRecord(r, time)),
    size,
    (r) => ({ at: r.timestamp.getTime(), key: r.recordId }),
  );
}

/** A page of batch reports from `size + 1` rows fetched most recently received first. */
export function batchReportPage<T>(
  rows: BatchReportRow<T>[],
  size: number,
  time: TimeCodec<T>,
): Page<BatchReport> {
  return toPage(
    rows.map((r) => toBatchReport(r, time)),
    size,
    (r) => ({ at: r.receivedAt.getTime(), key: r.reportId }),
  );
}
