import type { SignalOptions } from "@factory/core";
import { eq } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
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
import * as s from "./schema-sqlite";
import { validDate } from "./shared";
import { epochMs } from "./time-codec";

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
      const row = boardRecordRow(r, epochMs);
      return run("saving a board record", () =>
        db.transaction((tx) => {
          const inserted = tx.insert(s.boardRecords).values(row).onConflictDoNothing().returning().all();
          if (inserted.length === 0) return { created: false };
          tx.insert(s.auditEvents).values(boardRecordAudit(row, r)).run();
          return { created: true };
        }),
      );
    },

    async getBoardRecord(recordId, o) {
      guard(o);
      const row = db.select().from(s.boardRecords).where(eq(s.boardRecords.recordId, recordId)).get();
      return row && toBoardRecord(row, epochMs);
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
          .orderBy(...boardRecordOrder(t))
          .limit(size + 1)
          .all(),
      );
      return boardRecordPage(rows, size, epochMs);
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
            .values(batchReportAudit(at, r.sentBy, r.reportId, stored !== undefined))
            .run();
          return stored ? ("replaced" as const) : ("created" as const);
        }),
      );
    },

    async getBatchReport(reportId, o) {
      guard(o);
      const t = s.boardBatchReports;
      const row = db.select().from(t).where(eq(t.reportId, reportId)).get();
      return row && toBatchReport(row, epochMs);
    },

    async listBatchReports(page = {}, o) {
      guard(o);
      const size = pageSize(page.limit);
      const t = s.boardBatchReports;
      const rows = run("listing batch reports", () =>
        db
          .select()
          .from(t)
          .where(batchReportWhere(t, page, (ms) => ms))
          .orderBy(...batchReportOrder(t))
          .limit(size + 1)
          .all(),
      );
      return batchReportPage(rows, size, epochMs);
    },
  };
}
