import { describeUnitStoreConformance, requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { type PgTestServer, postgresPeer, startPgServer } from "../testing/pg-server";
import { createPgUnitStore, type PgUnitStore } from "./pg-store";

describe.runIf(requirePeer(postgresPeer))("PostgreSQL store", () => {
  let server: PgTestServer;
  let store: PgUnitStore;
  beforeAll(async () => {
    server = await startPgServer();
    store = await createPgUnitStore({
      connectionString: await server.createDatabase("conformance"),
      masterKey: generateMasterKey(),
    });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  describeUnitStoreConformance(
    "PostgreSQL (real server)",
    async () => {
      await store.pool.query(
        "truncate units, unit_credentials, idempotency_keys, device_registrations, batches, debug_logs, audit_events cascade",
      );
      return { store };
    },
    {
      skip: {
        "deleted credentials leave no readable trace in the stored bytes":
          "PostgreSQL keeps dead row versions and WAL segments outside the store's control; crypto-shredding is covered by the SQLite file test",
      },
    },
  );
});
