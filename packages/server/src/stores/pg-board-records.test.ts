import { requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { type PgTestServer, postgresPeer, startPgServer } from "../testing/pg-server";
import { describeBoardRecordStoreConformance } from "./board-records-conformance";
import { createPgUnitStore, type PgUnitStore } from "./pg-store";

describe.runIf(requirePeer(postgresPeer))("PostgreSQL board records", () => {
  let server: PgTestServer;
  let store: PgUnitStore;
  beforeAll(async () => {
    server = await startPgServer();
    store = await createPgUnitStore({
      connectionString: await server.createDatabase("board_records"),
      masterKey: generateMasterKey(),
    });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  describeBoardRecordStoreConformance("PostgreSQL (real server)", async () => {
    await store.pool.query("truncate board_records, board_batch_reports, audit_events");
    return {
      store,
      async countRows(table) {
        const { rows } = await store.pool.query<{ n: string }>(`select count(*) as n from ${table}`);
        return Number(rows[0]?.n);
      },
    };
  });
});
