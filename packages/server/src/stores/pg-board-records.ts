import type { SignalOptions } from "@factory/core";
import { eq, sql } from "drizzle-orm";
import type { NodePgDatabase } from "drizzle-orm/node-postgres";
import {
  batchReportAudit,
  batchReportPage,
  boardRecordAudit,
  boardRecordPage,
  boardRecordRow,
  toBatchReport,
  toBoardRecord,
} from "./board-record-rows";
import {
  type BoardRecordStore,
  batchReportOrder,
  batchReportValues,
  batchReportWhere,
  boardRecordOrder,
  boardRecordWhere,
  pageSize,
} from "./board-records";
import * as s from "./schema-pg";
import { validDate } from "./shared";
import { nativeDate } from "./time-codec";

type Db = NodePgDatabase<typeof s>;

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
      const row = boardRecordRow(r, nativeDate);
      return wrap("saving a board record", () =>
        db.transaction(async (tx) => {
          const inserted = await tx
            .insert(s.boardRecords)
            .values(row)
            .onConflictDoNothing()
            .returning({ id: s.boardRecords.recordId });
          if (inserted.length === 0) return { created: false };
          await tx.insert(s.auditEvents).values(boardRecordAudit(row, r));
          return { created: true };
        }),
      );
    },

    async getBoardRecord(recordId, o) {
      guard(o);
      const [row] = await wrap("reading a board record", () =>
        db.select().from(s.boardRecords).where(eq(s.boardRecords.recordId, recordId)),
      );
      return row && toBoardRecord(row, nativeDate);
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
          .orderBy(...boardRecordOrder(t))
          .limit(size + 1),
      );
      return boardRecordPage(rows, size, nativeDate);
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
          await tx
            .insert(s.auditEvents)
            .values(batchReportAudit(at, r.sentBy, r.reportId, stored !== undefined));
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
      return row && toBatchReport(row, nativeDate);
    },

    async listBatchReports(page = {}, o) {
      guard(o);
      const size = pageSize(page.limit);
      const t = s.boardBatchReports;
      const rows = await wrap("listing batch reports", () =>
        db
          .select()
          .from(t)
          .where(batchReportWhere(t, page, (ms) => new Date(ms)))
          .orderBy(...batchReportOrder(t))
          .limit(size + 1),
      );
      return batchReportPage(rows, size, nativeDate);
    },
  };
}
