import type { SignalOptions } from "@factory/core";
import { desc, eq, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import {
  after,
  BATCH_REPORT_ACTION,
  type BatchReport,
  BOARD_RECORD_ACTION,
  type BoardRecordStore,
  batchReportValues,
  boardRecordWhere,
  decodeCursor,
  pageSize,
  recordAudit,
  toPage,
} from "./board-records";
import * as s from "./schema-pg";
import { defined, validDate } from "./shared";

type Db = NodePgDatabase<typeof s>;
type RecordRow = typeof s.boardRecords.$inferSelect;
type ReportRow = typeof s.boardBatchReports.$inferSelect;

/**
 * The {@link BoardRecordStore} of the PostgreSQL store: `guard` checks the signal and that the
 * store is open, `wrap` codes database errors. A resent record is absorbed by
 * `on conflict do nothing`; a batch report's writers take a per-report advisory lock.
 */
export function pgBoardRecords(
  db: Db,
  guard: (o?: SignalOptions) => void,
  wrap: <T>(what: string, fn: () => Promise<T>) => Promise<T>,
): BoardRecordStore {
  return {
    async insertBoardRecord(r, o) {
      guard(o);
      const row = {
        recordId: r.recordId,
        timestamp: validDate(r.timestamp, "timestamp"),
        stationId: r.stationId,
        batchId: r.batchId,
        mac: r.mac ?? null,
        status: r.status,
        cells: r.cells,
        sentBy: r.sentBy,
        receivedAt: validDate(r.receivedAt, "receivedAt"),
      };
      return wrap("saving a board record", () =>
        db.transaction(async (tx) => {
          const inserted = await tx
            .insert(s.boardRecords)
            .values(row)
            .onConflictDoNothing()
            .returning({ id: s.boardRecords.recordId });
          if (inserted.length === 0) return { created: false };
          await tx.insert(s.auditEvents).values({
            at: row.receivedAt,
            actor: row.sentBy,
            action: BOARD_RECORD_ACTION,
            mac: row.mac,
            details: recordAudit(r),
          });
          return { created: true };
        }),
      );
    },

    async getBoardRecord(recordId, o) {
      guard(o);
      const [row] = await wrap("reading a board record", () =>
        db.select().from(s.boardRecords).where(eq(s.boardRecords.recordId, recordId)),
      );
      return row && toRecord(row);
    },

    async listBoardRecords(filter = {}, o) {
      guard(o);
      const size = pageSize(filter.limit);
      const t = s.boardRecords;
      const rows = await wrap("listing board records", () =>
        db
          .select()
          .from(t)
          .where(boardRecordWhere(t, filter, (ms) => new Date(ms)))
          .orderBy(desc(t.timestamp), desc(t.recordId))
          .limit(size + 1),
      );
      return toPage(rows.map(toRecord), size, (r) => ({ at: r.timestamp.getTime(), key: r.recordId }));
    },

    async putBatchReport(r, o) {
      guard(o);
      const at = validDate(r.receivedAt, "receivedAt");
      const values = batchReportValues(r, at);
      return wrap("saving a batch report", () =>
        db.transaction(async (tx) => {
          const t = s.boardBatchReports;
          await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`batch-report:${r.reportId}`}))`);
          const [stored] = await tx
            .select({ fingerprint: t.fingerprint })
            .from(t)
            .where(eq(t.reportId, r.reportId));
          if (stored?.fingerprint === values.fingerprint) return "unchanged" as const;
          if (stored) await tx.update(t).set(values).where(eq(t.reportId, r.reportId));
          else await tx.insert(t).values({ reportId: r.reportId, receivedAt: at, ...values });
          await tx.insert(s.auditEvents).values({
            at,
            actor: r.sentBy,
            action: BATCH_REPORT_ACTION,
            details: { report_id: r.reportId, replaced: stored !== undefined },
          });
          return stored ? ("replaced" as const) : ("created" as const);
        }),
      );
    },

    async getBatchReport(reportId, o) {
      guard(o);
      const t = s.boardBatchReports;
      const [row] = await wrap("reading a batch report", () =>
        db.select().from(t).where(eq(t.reportId, reportId)),
      );
      return row && toReport(row);
    },

    async listBatchReports(page = {}, o) {
      guard(o);
      const size = pageSize(page.limit);
      const t = s.boardBatchReports;
      const c = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
      const rows = await wrap("listing batch reports", () =>
        db
          .select()
          .from(t)
          .where(c && after(t.receivedAt, t.reportId, c, (ms) => new Date(ms)))
          .orderBy(desc(t.receivedAt), desc(t.reportId))
          .limit(size + 1),
      );
      return toPage(rows.map(toReport), size, (r) => ({ at: r.receivedAt.getTime(), key: r.reportId }));
    },
  };
}

function toRecord(r: RecordRow) {
  return {
    recordId: r.recordId,
    timestamp: r.timestamp,
    stationId: r.stationId,
    batchId: r.batchId,
    ...defined({ mac: r.mac }),
    status: r.status,
    cells: r.cells,
    sentBy: r.sentBy,
    receivedAt: r.receivedAt,
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
    receivedAt: r.receivedAt,
    updatedAt: r.updatedAt,
  };
}
