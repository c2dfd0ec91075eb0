import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isFactoryError } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { createSqliteUnitStore, type SqliteUnitStore } from "./sqlite-store";

const mac = (i: number) =>
  `02:aa:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
const beat = (i: number, stage = "deploying") => ({
  mac: mac(i),
  status: "building" as const,
  stage,
  port: String(i % 20),
  timestamp: new Date(),
});
const ready = (i: number) => ({
  mac: mac(i),
  status: "ready" as const,
  serial: `S-${i}`,
  credentials: { adminPassword: `a-${i}`, servicesPassword: `s-${i}` },
});

describe("SQLite heartbeats: one transaction per event-loop turn", () => {
  const dirs: string[] = [];
  const stores: SqliteUnitStore[] = [];
  const open = (backgroundCheckpoints = true, groupCommitWindowMs?: number) => {
    const dir = mkdtempSync(path.join(tmpdir(), "factory-group-"));
    dirs.push(dir);
    const file = path.join(dir, "factory.db");
    const store = createSqliteUnitStore({
      file,
      masterKey: generateMasterKey(),
      backgroundCheckpoints,
      ...(groupCommitWindowMs !== undefined && { groupCommitWindowMs }),
    });
    stores.push(store);
    return { store, file };
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("writes concurrent heartbeats in one commit: a fraction of the log that one commit each writes", async () => {
    const one = open(false);
    for (let i = 0; i < 200; i++) await one.store.recordHeartbeat(beat(i));
    const batched = open(false);
    const units = await Promise.all(
      Array.from({ length: 200 }, (_, i) => batched.store.recordHeartbeat(beat(i))),
    );
    expect(units.map((u) => u.mac)).toEqual(Array.from({ length: 200 }, (_, i) => mac(i)));
    expect(units.every((u) => u.status === "building" && u.stage === "deploying")).toBe(true);
    const walOne = statSync(`${one.file}-wal`).size;
    const walBatched = statSync(`${batched.file}-wal`).size;
    expect(walBatched * 10).toBeLessThan(walOne);
    expect(await batched.store.listUnits({ limit: 1000 })).toHaveLength(200);
  });

  it("under load, heartbeats of separate turns within the commit window share one commit", async () => {
    const { store } = open(true, 60_000);
    // After a quiet period the first heartbeat is written in its own turn, with no wait.
    let first = false;
    void store.recordHeartbeat(beat(1)).then(() => {
      first = true;
    });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(first).toBe(true);
    // A commit just happened: the next heartbeats wait for the window, across turns.
    const settled: number[] = [];
    const second = store.recordHeartbeat(beat(2)).then((u) => {
      settled.push(2);
      return u;
    });
    await new Promise((r) => setTimeout(r, 20));
    const third = store.recordHeartbeat(beat(3)).then((u) => {
      settled.push(3);
      return u;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toEqual([]);
    // Any other call writes the queue first; both heartbeats are then stored and answered.
    expect((await store.getUnit(mac(2)))?.stage).toBe("deploying");
    expect((await Promise.all([second, third])).map((u) => u.mac)).toEqual([mac(2), mac(3)]);
    expect(settled).toEqual([2, 3]);
  });

  it("a heartbeat brings a stuck unit back to building; a building unit keeps its status", async () => {
    const { store } = open();
    await store.recordHeartbeat({ ...beat(5), timestamp: new Date(Date.now() - 3_600_000) });
    expect((await store.markStuck(new Date(Date.now() - 60_000))).map((u) => u.mac)).toEqual([mac(5)]);
    const [revived, again] = await Promise.all([
      store.recordHeartbeat(beat(5, "self_test")),
      store.recordHeartbeat(beat(6)),
    ]);
    expect(revived).toMatchObject({ status: "building", stage: "self_test", port: "5" });
    expect(again.status).toBe("building");
    expect(await store.listUnits({ status: "stuck" })).toEqual([]);
    expect((await store.listUnits({ status: "building" })).map((u) => u.mac).sort()).toEqual([
      mac(5),
      mac(6),
    ]);
  });

  it("keeps call order: a read or a report right after a queued heartbeat sees it", async () => {
    const { store } = open();
    const hb = store.recordHeartbeat(beat(1, "self_test"));
    const seen = await store.getUnit(mac(1));
    expect(seen).toMatchObject({ status: "building", stage: "self_test" });
    const report = store.recordReport(ready(1));
    await hb;
    expect((await report).unit.status).toBe("ready");
    // A heartbeat queued before a report of the same turn is written first, not refused after it.
    const hb2 = store.recordHeartbeat(beat(2));
    const report2 = await store.recordReport(ready(2));
    expect((await hb2).status).toBe("building");
    expect(report2.unit.status).toBe("ready");
  });

  it("refuses only the heartbeat that breaks a transition; the others of the batch are written", async () => {
    const { store } = open();
    await store.recordHeartbeat(beat(7));
    await store.recordReport(ready(7));
    const results = await Promise.allSettled([6, 7, 8].map((i) => store.recordHeartbeat(beat(i, "again"))));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const refused = (results[1] as PromiseRejectedResult).reason;
    expect(isFactoryError(refused, "INVALID_TRANSITION")).toBe(true);
    expect((await store.getUnit(mac(7)))?.status).toBe("ready");
    expect((await store.getUnit(mac(6)))?.stage).toBe("again");
    expect((await store.getUnit(mac(8)))?.stage).toBe("again");
  });

  it("drops a heartbeat cancelled while queued and writes nothing for it", async () => {
    const { store } = open();
    const controller = new AbortController();
    const cancelled = store.recordHeartbeat(beat(3), { signal: controller.signal });
    const kept = store.recordHeartbeat(beat(4));
    controller.abort();
    await expect(cancelled).rejects.toSatisfy((e) => isFactoryError(e, "ABORTED"));
    expect((await kept).mac).toBe(mac(4));
    expect(await store.getUnit(mac(3))).toBeUndefined();
  });

  it("writes queued heartbeats before closing", async () => {
    const { store, file } = open();
    const pending = Array.from({ length: 20 }, (_, i) => store.recordHeartbeat(beat(i)));
    await store.close();
    expect(await Promise.all(pending)).toHaveLength(20);
    const again = createSqliteUnitStore({ file, masterKey: generateMasterKey() });
    stores.push(again);
    expect(await again.listUnits({ limit: 100 })).toHaveLength(20);
  });

  it("copies the log into the database file on its worker thread while writes go on", async () => {
    const { store, file } = open(true);
    const before = statSync(file).size;
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.recordHeartbeat(beat(round * 100 + i))));
    }
    // The store turned off its own automatic checkpoints: only the worker moves pages.
    const until = Date.now() + 15_000;
    while (statSync(file).size <= before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).size).toBeGreaterThan(before + 64 * 1024);
  });
});
