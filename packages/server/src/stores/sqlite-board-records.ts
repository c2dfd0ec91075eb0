import type { SignalOptions } from "@factory/core";
import { desc, eq } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import {
  after,
  BATCH_REPORT_ACTION,
  type BatchReport,
  BOARD_RECORD_ACTION,
  type BoardRecord,
  type BoardRecordStore,
  batchReportValues,
  boardRecordWhere,
  decodeCursor,
  pageSize,
  recordAudit,
  toPage,
} from "./board-records";
import * as s from "./schema-sqlite";
import { defined, validDate } from "./shared";

type RecordRow = typeof s.boardRecords.$inferSelect;
type ReportRow = typeof s.boardBatchReports.$inferSelect;

/**
 * The {@link BoardRecordStore} of the SQLite store, on its database: `guard` checks the signal
 * and that the store is open (and writes queued heartbeats first), `run` codes SQLite errors.
 */
export function sqliteBoardRecords(
  db: BetterSQLite3Database<typeof s>,
  guard: (o?: SignalOptions) => void,
  run: <T>(what: string, fn: () => T) => T,
): BoardRecordStore {
  return {
    async insertBoardRecord(r, o) {
      guard(o);
      const row = recordRow(r);
      return run("saving a board record", () =>
        db.transaction((tx) => {
          const inserted = tx.insert(s.boardRecords).values(row).onConflictDoNothing().returning().all();
          if (inserted.length === 0) return { created: false };
          tx.insert(s.auditEvents)
            .values({
              at: row.receivedAt,
              actor: row.sentBy,
              action: BOARD_RECORD_ACTION,
              mac: row.mac,
              details: recordAudit(r),
            })
            .run();
          return { created: true };
        }),
      );
    },

    async getBoardRecord(recordId, o) {
      guard(o);
      const row = db.select().from(s.boardRecords).where(eq(s.boardRecords.recordId, recordId)).get();
      return row && toRecord(row);
    },

    async listBoardRecords(filter = {}, o) {
      guard(o);
      const size = pageSize(filter.limit);
      const t = s.boardRecords;
      const rows = run("listing board records", () =>
        db
          .select()
          .from(t)
          .where(boardRecordWhere(t, filter, (ms) => ms))
          .orderBy(desc(t.timestamp), desc(t.recordId))
          .limit(size + 1)
          .all(),
      );
      return toPage(rows.map(toRecord), size, (r) => ({ at: r.timestamp.getTime(), key: r.recordId }));
    },

    async putBatchReport(r, o) {
      guard(o);
      const at = validDate(r.receivedAt, "receivedAt").getTime();
      const values = batchReportValues(r, at);
      return run("saving a batch report", () =>
        db.transaction((tx) => {
          const t = s.boardBatchReports;
          const stored = tx
            .select({ fingerprint: t.fingerprint })
            .from(t)
            .where(eq(t.reportId, r.reportId))
            .get();
          if (stored?.fingerprint === values.fingerprint) return "unchanged" as const;
          if (stored) tx.update(t).set(values).where(eq(t.reportId, r.reportId)).run();
          else
            tx.insert(t)
              .values({ reportId: r.reportId, receivedAt: at, ...values })
              .run();
          tx.insert(s.auditEvents)
            .values({
              at,
              actor: r.sentBy,
              action: BATCH_REPORT_ACTION,
              details: { report_id: r.reportId, replaced: stored !== undefined },
            })
            .run();
          return stored ? ("replaced" as const) : ("created" as const);
        }),
      );
    },

    async getBatchReport(reportId, o) {
      guard(o);
      const t = s.boardBatchReports;
      const row = db.select().from(t).where(eq(t.reportId, reportId)).get();
      return row && toReport(row);
    },

    async listBatchReports(page = {}, o) {
      guard(o);
      const size = pageSize(page.limit);
      const t = s.boardBatchReports;
      const c = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      const rows = run("listing batch reports", () =>
        db
          .select()
          .from(t)
          .where(c && after(t.receivedAt, t.reportId, c, (ms) => ms))
          .orderBy(desc(t.receivedAt), desc(t.reportId))
          .limit(size + 1)
          .all(),
      );
      return toPage(rows.map(toReport), size, (r) => ({ at: r.receivedAt.getTime(), key: r.reportId }));
    },
  };
}

function recordRow(r: BoardRecord) {
  return {
    recordId: r.recordId,
    timestamp: validDate(r.timestamp, "timestamp").getTime(),
    stationId: r.stationId,
    batchId: r.batchId,
    mac: r.mac ?? null,
    status: r.status,
    cells: r.cells,
    sentBy: r.sentBy,
    receivedAt: validDate(r.receivedAt, "receivedAt").getTime(),
  };
}

function toRecord(r: RecordRow): BoardRecord {
  return {
    recordId: r.recordId,
    timestamp: new Date(r.timestamp),
    stationId: r.stationId,
    batchId: r.batchId,
    ...defined({ mac: r.mac }),
    status: r.status,
    cells: r.cells,
    sentBy: r.sentBy,
    receivedAt: new Date(r.receivedAt),
  };
}

function toReport(r: ReportRow): BatchReport {
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
    receivedAt: new Date(r.receivedAt),
    updatedAt: new Date(r.updatedAt),
  };
}
