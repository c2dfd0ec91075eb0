import { isFactoryError } from "@factory/core";
import { requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { type PgTestServer, postgresPeer, startPgServer } from "../testing/pg-server";
import { createPgHeartbeatWriter } from "./pg-heartbeats";
import { createPgUnitStore, type PgUnitStore } from "./pg-store";

const mac = (i: number) =>
  `02:cc:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
const hb = (i: number, stage: string | null = "deploying") => ({
  mac: mac(i),
  stage,
  port: String(i % 20),
  at: new Date(),
});

describe.runIf(requirePeer(postgresPeer))("PostgreSQL heartbeats: group commit", () => {
  let server: PgTestServer;
  let store: PgUnitStore;
  beforeAll(async () => {
    server = await startPgServer();
    store = await createPgUnitStore({
      connectionString: await server.createDatabase("heartbeats"),
      masterKey: generateMasterKey(),
    });
  });
  beforeEach(async () => {
    await store.pool.query("truncate units, unit_credentials, idempotency_keys cascade");
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it("writes heartbeats that arrive while a batch is in flight in one statement", async () => {
    const query = vi.spyOn(store.pool, "query");
    const writer = createPgHeartbeatWriter({ pool: store.pool, now: () => new Date() });
    const rows = await Promise.all(Array.from({ length: 300 }, (_, i) => writer.write(hb(i))));
    const statements = query.mock.calls.length;
    query.mockRestore();
    // The first goes alone (nothing to wait for), the other 299 together.
    expect(statements).toBe(2);
    expect(rows.map((r) => r?.mac)).toEqual(Array.from({ length: 300 }, (_, i) => mac(i)));
    expect(
      rows.every(
        (r) => r?.status === "building" && r.stage === "deploying" && r.lastHeartbeat instanceof Date,
      ),
    ).toBe(true);
    expect((await store.pool.query("select count(*)::int as n from units")).rows[0].n).toBe(300);
  });

  it("keeps one unit's heartbeats in order within a batch, and keeps stage when one omits it", async () => {
    const writer = createPgHeartbeatWriter({ pool: store.pool, now: () => new Date() });
    const results = await Promise.all([
      writer.write(hb(1, "first")),
      writer.write(hb(1, "second")),
      writer.write(hb(2, "other")),
      writer.write(hb(1, "third")),
      writer.write(hb(1, null)),
    ]);
    expect(results.map((r) => r?.stage)).toEqual(["first", "second", "other", "third", "third"]);
    expect((await store.getUnit(mac(1)))?.stage).toBe("third");
  });

  it("refuses a unit that may not take heartbeats without failing the others of its batch", async () => {
    await store.recordReport({
      mac: mac(7),
      status: "ready",
      serial: "S-7",
      credentials: { adminPassword: "a", servicesPassword: "b" },
    });
    const results = await Promise.allSettled(
      [6, 7, 8].map((i) =>
        store.recordHeartbeat({ mac: mac(i), status: "building", stage: "again", timestamp: new Date() }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const refused = (results[1] as PromiseRejectedResult).reason;
    expect(isFactoryError(refused, "INVALID_TRANSITION")).toBe(true);
    expect((await store.getUnit(mac(7)))?.status).toBe("ready");
  });

  it("drops a heartbeat cancelled while queued and writes nothing for it", async () => {
    const writer = createPgHeartbeatWriter({ pool: store.pool, now: () => new Date() });
    const first = writer.write(hb(1));
    const controller = new AbortController();
    const cancelled = writer.write(hb(2), controller.signal);
    controller.abort();
    await expect(cancelled).rejects.toSatisfy((e) => isFactoryError(e, "ABORTED"));
    expect((await first)?.mac).toBe(mac(1));
    await writer.drain();
    expect(await store.getUnit(mac(2))).toBeUndefined();
  });
});
