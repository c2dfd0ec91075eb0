import type { SignalOptions, UnitStore } from "@factory/core";
import { type AnyColumn, and, desc, eq, gte, lt, or, type SQL } from "drizzle-orm";
import { fingerprint, invalid, validDate } from "./shared";

/** Audit action of a new board-line device record (who sent it; the record is in `board_records`). */
export const BOARD_RECORD_ACTION = "board-line.record";
/** Audit action of a new or replaced batch report (the report is in `board_batch_reports`). */
export const BATCH_REPORT_ACTION = "board-line.batch-report";

/** A board-line device record as stored: the indexed fields plus every CSV cell. */
export interface BoardRecord {
  /** The record's own hash (32 hex digits): the key a resend is recognised by. */
  recordId: string;
  timestamp: Date;
  stationId: string;
  batchId: string;
  /** Normalised MAC (lowercase, colons), absent when the record has none (a board that never answered). */
  mac?: string;
  status: "passed" | "failed";
  /** Every cell of the record's row in the daily CSV, by column name (no secrets). */
  cells: Record<string, string>;
  /** Name of the token that sent it. */
  sentBy: string;
  receivedAt: Date;
}

/** A batch report as stored: the document `factory flash` wrote and its counts. */
export interface BatchReport {
  /** The report's batch ids joined with `+`. */
  reportId: string;
  generatedAt: string;
  batchIds: string[];
  aborted?: boolean;
  devices: number;
  passed: number;
  failed: number;
  document: Record<string, unknown>;
  sentBy: string;
  /** When the report was first received. */
  receivedAt: Date;
  /** When it was last replaced (equal to `receivedAt` if never). */
  updatedAt: Date;
}

export interface BoardRecordFilter {
  stationId?: string;
  batchId?: string;
  status?: "passed" | "failed";
  mac?: string;
  /** Only records with `timestamp >= since`. */
  since?: Date;
  /** Page size (1-1000, default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface PageOptions {
  /** Page size (1-1000, default 100). */
  limit?: number;
  cursor?: string;
}

/** One page of a listing, newest first; `nextCursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * The board line's records and batch reports, in their own tables (`board_records`,
 * `board_batch_reports`) of the server's SQLite and PostgreSQL stores. Inserts are idempotent by
 * key at the database level, so a retry is absorbed however late it comes; each new row also
 * writes an audit entry (who sent what) in the same transaction.
 */
export interface BoardRecordStore {
  /** Stores the record unless one with its `recordId` exists; `created` tells which. */
  insertBoardRecord(record: BoardRecord, o?: SignalOptions): Promise<{ created: boolean }>;
  getBoardRecord(recordId: string, o?: SignalOptions): Promise<BoardRecord | undefined>;
  /** Records matching every given filter, newest `timestamp` first (ties by `recordId`). */
  listBoardRecords(filter?: BoardRecordFilter, o?: SignalOptions): Promise<Page<BoardRecord>>;
  /**
   * Stores a batch report under its id: `created` if new, `unchanged` if an identical document
   * is stored, `replaced` if a different one was (the newer document wins, `receivedAt` stays).
   */
  putBatchReport(
    report: Omit<BatchReport, "updatedAt">,
    o?: SignalOptions,
  ): Promise<"created" | "unchanged" | "replaced">;
  getBatchReport(reportId: string, o?: SignalOptions): Promise<BatchReport | undefined>;
  /** Reports, most recently first received first. */
  listBatchReports(page?: PageOptions, o?: SignalOptions): Promise<Page<BatchReport>>;
}

/** The board-record side of a unit store, when it has one (the server's SQLite and PostgreSQL stores do). */
export function boardRecordStoreOf(store: UnitStore): BoardRecordStore | undefined {
  const candidate = store as Partial<BoardRecordStore>;
  return typeof candidate.insertBoardRecord === "function" &&
    typeof candidate.listBoardRecords === "function" &&
    typeof candidate.putBatchReport === "function"
    ? (store as unknown as BoardRecordStore)
    : undefined;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** The page size to fetch: the caller's limit bounded to 1-1000. */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw invalid("limit must be a whole number ≥ 1");
  return Math.min(limit, MAX_PAGE);
}

/** A keyset cursor: the sort time (epoch ms) and key of the last row of a page. */
export interface Cursor {
  at: number;
  key: string;
}

/** Encodes the position after `row` as an opaque URL-safe cursor. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.key])).toString("base64url");
}

/** Decodes a cursor from {@link encodeCursor}; anything else is `INVALID_ARGUMENT`. */
export function decodeCursor(raw: string): Cursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, "base64url").toString("utf8"));
    if (Array.isArray(v) && v.length === 2 && Number.isSafeInteger(v[0]) && typeof v[1] === "string") {
      return { at: v[0], key: v[1] };
    }
  } catch {
    // falls through to the coded error
  }
  throw invalid("cursor is not one this server gave out");
}

/** Cuts the one-extra row fetched to learn whether a next page exists. */
export function toPage<T>(rows: T[], size: number, cursorOf: (last: T) => Cursor): Page<T> {
  if (rows.length <= size) return { items: rows };
  const items = rows.slice(0, size);
  return { items, nextCursor: encodeCursor(cursorOf(items[items.length - 1] as T)) };
}

/** The `board_records` columns a listing filters on (the same names in both dialects' schemas). */
export interface BoardRecordColumns {
  stationId: AnyColumn;
  batchId: AnyColumn;
  status: AnyColumn;
  mac: AnyColumn;
  timestamp: AnyColumn;
  recordId: AnyColumn;
}

/**
 * The where clause of a records listing: every given filter, and the keyset position after the
 * cursor. `time` turns epoch ms into the dialect's time value (a number in SQLite, a Date in PostgreSQL).
 */
export function boardRecordWhere(
  t: BoardRecordColumns,
  filter: BoardRecordFilter,
  time: (ms: number) => unknown,
): SQL | undefined {
  const where: (SQL | undefined)[] = [];
  if (filter.stationId !== undefined) where.push(eq(t.stationId, filter.stationId));
  if (filter.batchId !== undefined) where.push(eq(t.batchId, filter.batchId));
  if (filter.status !== undefined) where.push(eq(t.status, filter.status));
  if (filter.mac !== undefined) where.push(eq(t.mac, filter.mac));
  if (filter.since !== undefined)
    where.push(gte(t.timestamp, time(validDate(filter.since, "since").getTime())));
  if (filter.cursor !== undefined)
    where.push(after(t.timestamp, t.recordId, decodeCursor(filter.cursor), time));
  return and(...where);
}

/** The order of a records listing: newest `timestamp` first, ties by `recordId`. */
export function boardRecordOrder(t: BoardRecordColumns): SQL[] {
  return [desc(t.timestamp), desc(t.recordId)];
}

/** The `board_batch_reports` columns a listing pages on. */
export interface BatchReportColumns {
  receivedAt: AnyColumn;
  reportId: AnyColumn;
}

/** The where clause of a batch-report listing: the keyset position after the page's cursor. */
export function batchReportWhere(
  t: BatchReportColumns,
  page: PageOptions,
  time: (ms: number) => unknown,
): SQL | undefined {
  return page.cursor === undefined
    ? undefined
    : after(t.receivedAt, t.reportId, decodeCursor(page.cursor), time);
}

/** The order of a batch-report listing: most recently first received first, ties by `reportId`. */
export function batchReportOrder(t: BatchReportColumns): SQL[] {
  return [desc(t.receivedAt), desc(t.reportId)];
}

/** Rows strictly after the cursor in `(time desc, key desc)` order. */
export function after(
  timeColumn: AnyColumn,
  keyColumn: AnyColumn,
  c: Cursor,
  time: (ms: number) => unknown,
): SQL | undefined {
  const at = time(c.at);
  return or(lt(timeColumn, at), and(eq(timeColumn, at), lt(keyColumn, c.key)));
}

/** The stored columns of a batch report other than its id and first-received time. */
export function batchReportValues<T>(r: Omit<BatchReport, "updatedAt">, at: T) {
  return {
    generatedAt: r.generatedAt,
    batchIds: r.batchIds,
    aborted: r.aborted ?? null,
    devices: r.devices,
    passed: r.passed,
    failed: r.failed,
    document: r.document,
    fingerprint: fingerprint(r.document),
    sentBy: r.sentBy,
    updatedAt: at,
  };
}

/** What the audit log keeps of a new record: who sent which record of which batch (not its cells). */
export function recordAudit(r: BoardRecord): Record<string, unknown> {
  return { record_id: r.recordId, station_id: r.stationId, batch_id: r.batchId, status: r.status };
}
