import { isFactoryError, type UnitStore } from "@factory/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BATCH_REPORT_ACTION,
  type BatchReport,
  BOARD_RECORD_ACTION,
  type BoardRecord,
  type BoardRecordFilter,
  type BoardRecordStore,
} from "./board-records";

export interface BoardRecordStoreFixture {
  store: UnitStore & BoardRecordStore;
  /** Rows in a table, counted with the database's own `count(*)`. */
  countRows(table: "board_records" | "board_batch_reports"): Promise<number>;
  teardown?: () => Promise<void>;
}

const hex = (n: number) => n.toString(16).padStart(32, "0");

/** A device record numbered `n`; `over` replaces fields. */
export function boardRecord(n: number, over: Partial<BoardRecord> = {}): BoardRecord {
  const recordId = over.recordId ?? hex(n);
  return {
    recordId,
    timestamp: new Date(Date.UTC(2026, 11, 5, 10, 0, 0) + n * 1000),
    stationId: "station_1",
    batchId: "station_1-20261205-100000",
    mac: `24:0a:c4:00:${((n >> 8) & 0xff).toString(16).padStart(2, "0")}:${(n & 0xff).toString(16).padStart(2, "0")}`,
    status: "passed",
    cells: { record_id: recordId, device_id: `ESP32-${n}`, qr_code: "factory://pair?t=****" },
    sentBy: "station-1",
    receivedAt: new Date(Date.UTC(2026, 11, 5, 11, 0, 0)),
    ...over,
  };
}

function report(id: string, over: Partial<BatchReport> = {}): Omit<BatchReport, "updatedAt"> {
  return {
    reportId: id,
    generatedAt: "2026-12-05T10:01:00.000Z",
    batchIds: id.split("+"),
    aborted: false,
    devices: 3,
    passed: 2,
    failed: 1,
    document: { schema: "factory.batch-report/1", batchIds: id.split("+"), totals: { devices: 3 } },
    sentBy: "station-1",
    receivedAt: new Date(Date.UTC(2026, 11, 5, 11, 0, 0)),
    ...over,
  };
}

/** Pages through a listing with `limit`, returning every item in order. */
async function allPages(
  store: BoardRecordStore,
  filter: BoardRecordFilter,
  limit: number,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.listBoardRecords({ ...filter, limit, ...(cursor && { cursor }) });
    pages++;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((r) => r.recordId));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return { ids, pages };
}

/**
 * The behaviour every {@link BoardRecordStore} of the server must have, run against a real
 * database by each store's test (`setup` gives a store with empty board tables).
 */
export function describeBoardRecordStoreConformance(
  name: string,
  setup: () => Promise<BoardRecordStoreFixture>,
): void {
  describe(`BoardRecordStore conformance: ${name}`, () => {
    let fx: BoardRecordStoreFixture;
    let store: UnitStore & BoardRecordStore;
    beforeEach(async () => {
      fx = await setup();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.teardown?.();
    });

    it("stores a record once, reads it back whole and audits who sent it once", async () => {
      const r = boardRecord(1);
      expect(await store.insertBoardRecord(r)).toEqual({ created: true });
      expect(await store.insertBoardRecord({ ...r, sentBy: "admin-1" })).toEqual({ created: false });
      expect(await store.getBoardRecord(r.recordId)).toEqual(r);
      expect(await store.getBoardRecord(hex(999))).toBeUndefined();
      const noMac = boardRecord(2, { status: "failed" });
      delete noMac.mac;
      await store.insertBoardRecord(noMac);
      expect(await store.getBoardRecord(noMac.recordId)).toEqual(noMac);
      const audit = await store.listAudit({ action: BOARD_RECORD_ACTION });
      expect(audit).toHaveLength(2);
      expect(audit.find((e) => e.mac === r.mac)).toMatchObject({
        actor: "station-1",
        details: { record_id: r.recordId, batch_id: r.batchId, status: "passed" },
      });
      expect(await fx.countRows("board_records")).toBe(2);
    });

    it("absorbs a resend that comes after 5,000 other records", async () => {
      const first = boardRecord(0);
      expect((await store.insertBoardRecord(first)).created).toBe(true);
      const others = Array.from({ length: 5000 }, (_, i) => boardRecord(i + 1));
      for (let i = 0; i < others.length; i += 50) {
        await Promise.all(others.slice(i, i + 50).map((r) => store.insertBoardRecord(r)));
      }
      expect(await store.insertBoardRecord({ ...first, receivedAt: new Date() })).toEqual({ created: false });
      expect(await fx.countRows("board_records")).toBe(5001);
      expect((await store.listAudit({ action: BOARD_RECORD_ACTION, mac: first.mac })).length).toBe(1);
    }, 120_000);

    it("makes one row of concurrent duplicate inserts", async () => {
      const r = boardRecord(7);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.insertBoardRecord(r)));
      expect(results.filter((x) => x.created)).toHaveLength(1);
      expect(await fx.countRows("board_records")).toBe(1);
      expect(await store.listAudit({ action: BOARD_RECORD_ACTION })).toHaveLength(1);
    });

    it("filters by station, batch, status, mac and since, newest first, and pages without gaps or repeats", async () => {
      const rows: BoardRecord[] = [];
      for (let n = 1; n <= 30; n++) {
        rows.push(
          boardRecord(n, {
            stationId: n % 2 ? "station_1" : "station_2",
            batchId: `batch-${n % 3}`,
            status: n % 5 === 0 ? "failed" : "passed",
            // Pairs of records share a timestamp, so ties are ordered by id across page ends.
            timestamp: new Date(Date.UTC(2026, 11, 5, 10) + Math.floor(n / 2) * 1000),
          }),
        );
      }
      for (const r of rows) await store.insertBoardRecord(r);
      const newestFirst = (list: BoardRecord[]) =>
        [...list]
          .sort((a, b) => b.timestamp.getTime() - a.timestamp.getTime() || (a.recordId < b.recordId ? 1 : -1))
          .map((r) => r.recordId);

      const whole = await allPages(store, {}, 7);
      expect(whole.ids).toEqual(newestFirst(rows));
      expect(whole.pages).toBe(5);
      expect((await store.listBoardRecords({ limit: 30 })).nextCursor).toBeUndefined();

      const cases: [BoardRecordFilter, (r: BoardRecord) => boolean][] = [
        [{ stationId: "station_2" }, (r) => r.stationId === "station_2"],
        [{ batchId: "batch-1" }, (r) => r.batchId === "batch-1"],
        [{ status: "failed" }, (r) => r.status === "failed"],
        [{ mac: rows[4]!.mac! }, (r) => r.mac === rows[4]!.mac],
        [{ since: rows[19]!.timestamp }, (r) => r.timestamp >= rows[19]!.timestamp],
        [
          { stationId: "station_1", status: "passed", batchId: "batch-0" },
          (r) => r.stationId === "station_1" && r.status === "passed" && r.batchId === "batch-0",
        ],
      ];
      for (const [filter, keep] of cases) {
        const expected = newestFirst(rows.filter(keep));
        expect(expected.length).toBeGreaterThan(0);
        expect((await allPages(store, filter, 2)).ids, JSON.stringify(filter)).toEqual(expected);
      }
      expect((await store.listBoardRecords({ stationId: "nowhere" })).items).toEqual([]);
    });

    it("refuses a cursor it did not give out and a limit below 1 (INVALID_ARGUMENT)", async () => {
      for (const bad of [{ cursor: "nonsense" }, { cursor: "WzEsMl0" }, { limit: 0 }]) {
        const error = await store.listBoardRecords(bad).catch((e: unknown) => e);
        expect(isFactoryError(error) && error.code).toBe("INVALID_ARGUMENT");
      }
      const error = await store.listBatchReports({ cursor: "%%" }).catch((e: unknown) => e);
      expect(isFactoryError(error) && error.code).toBe("INVALID_ARGUMENT");
    });

    it("keeps a batch report under its id: created, unchanged on resend, replaced by a different document", async () => {
      const a = report("b1+b2");
      expect(await store.putBatchReport(a)).toBe("created");
      expect(await store.putBatchReport({ ...a, receivedAt: new Date(Date.UTC(2026, 11, 6)) })).toBe(
        "unchanged",
      );
      const stored = await store.getBatchReport("b1+b2");
      expect(stored).toEqual({ ...a, updatedAt: a.receivedAt });
      const later = new Date(Date.UTC(2026, 11, 5, 12));
      const changed = { ...a, aborted: true, document: { ...a.document, aborted: true }, receivedAt: later };
      expect(await store.putBatchReport(changed)).toBe("replaced");
      expect(await store.getBatchReport("b1+b2")).toEqual({
        ...changed,
        receivedAt: a.receivedAt,
        updatedAt: later,
      });
      expect(await store.getBatchReport("none")).toBeUndefined();
      expect(await fx.countRows("board_batch_reports")).toBe(1);
      const audit = await store.listAudit({ action: BATCH_REPORT_ACTION });
      expect(audit.map((e) => e.details?.replaced).sort()).toEqual([false, true]);
    });

    it("makes one report of concurrent first sends", async () => {
      const results = await Promise.all(Array.from({ length: 10 }, () => store.putBatchReport(report("c1"))));
      expect(results.filter((x) => x === "created")).toHaveLength(1);
      expect(results.filter((x) => x === "unchanged")).toHaveLength(9);
      expect(await fx.countRows("board_batch_reports")).toBe(1);
    });

    it("lists reports most recently received first, in pages", async () => {
      for (let i = 0; i < 5; i++) {
        await store.putBatchReport(
          report(`r${i}`, { receivedAt: new Date(Date.UTC(2026, 11, 5, 10, Math.floor(i / 2))) }),
        );
      }
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listBatchReports({ limit: 2, ...(cursor && { cursor }) });
        ids.push(...page.items.map((r) => r.reportId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids).toEqual(["r4", "r3", "r2", "r1", "r0"]);
    });
  });
}
