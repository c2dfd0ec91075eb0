import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { UnitReport, UnitStore } from "../contracts/unit-store";
import { isFactoryError } from "../errors";

/** What a store under test hands to the suite. */
export interface UnitStoreFixture {
  store: UnitStore;
  teardown?(): Promise<void>;
  /**
   * Optional raw-bytes probe for the "no readable trace" test: the bytes of every file the store
   * persists to (database file, write-ahead log, journal), read after pending writes are flushed.
   */
  rawFiles?(): Promise<Uint8Array[]>;
  /**
   * Optional: the stored at-rest forms of a unit's credentials (wrapped per-unit key,
   * ciphertext) as raw bytes. After deletion none of them may appear in `rawFiles()`.
   */
  secretTraces?(mac: string): Promise<Uint8Array[]>;
}

export interface UnitStoreConformanceOptions {
  /** Tests to skip, by name, each with the reason shown in the report. */
  skip?: Record<string, string>;
}

const MAC = "aa:bb:cc:00:00:01";
const day = (iso: string) => new Date(`${iso}T12:00:00.000Z`);

function ready(mac = MAC, extra: Partial<Extract<UnitReport, { status: "ready" }>> = {}): UnitReport {
  return {
    mac,
    status: "ready",
    serial: "a1b2c3d4-5678-90ab-cdef-1234567890ab",
    credentials: { adminPassword: "confett1-j0gging-App3NDix", servicesPassword: "4ntENNAe-B4sil-mat3rnIty" },
    buildTime: day("2025-09-29"),
    buildDurationSeconds: 847,
    testResults: { portainer: "pass", adguard: "pass" },
    ...extra,
  };
}

function failed(mac: string, tests: string[], buildTime = day("2025-09-29")): UnitReport {
  return {
    mac,
    status: "failed",
    buildTime,
    buildDurationSeconds: 600,
    failedTests: tests,
    errorLog: "adguard did not resolve",
    testResults: Object.fromEntries(tests.map((t) => [t, "fail"])),
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected a rejection with ${code}`).toBeDefined();
  expect(
    isFactoryError(error, code),
    `expected code ${code}, got ${String((error as { code?: string }).code)}: ${String(error)}`,
  ).toBe(true);
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return (
    Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle)) !== -1
  );
}

/**
 * The behaviour every {@link UnitStore} must have, as a vitest suite. Call it from a test file of
 * the implementation; `setup` runs before every test and must return an empty store.
 *
 * @example
 * describeUnitStoreConformance("memory", async () => ({ store: createMemoryUnitStore() }));
 */
export function describeUnitStoreConformance(
  name: string,
  setup: () => Promise<UnitStoreFixture>,
  options: UnitStoreConformanceOptions = {},
): void {
  describe(`UnitStore conformance: ${name}`, () => {
    let fx: UnitStoreFixture;
    let store: UnitStore;
    beforeEach(async () => {
      fx = await setup();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.teardown?.();
    });
    const test = (title: string, fn: () => Promise<void>) => {
      const reason = options.skip?.[title];
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn);
    };

    test("accepts MACs in the usual spellings and stores them normalised", async () => {
      const at = new Date("2025-09-29T12:34:56Z");
      await store.recordHeartbeat({
        mac: "AA-BB-CC-00-00-01",
        status: "building",
        stage: "a",
        timestamp: at,
      });
      await store.recordHeartbeat({ mac: "aabb.cc00.0001", status: "building", stage: "b", timestamp: at });
      await store.recordHeartbeat({ mac: "AABBCC000001", status: "building", stage: "c", timestamp: at });
      const units = await store.listUnits();
      expect(units.map((u) => u.mac)).toEqual([MAC]);
      expect(units[0]!.stage).toBe("c");
      expect((await store.getUnit(" AA:BB:CC:00:00:01 "))?.mac).toBe(MAC);
    });

    test("rejects a malformed MAC with INVALID_ARGUMENT and writes nothing", async () => {
      for (const mac of [
        "",
        "aa:bb:cc:dd:ee",
        "zz:bb:cc:dd:ee:ff",
        "aa:bb-cc:dd:ee:ff",
        "00:00:00:00:00:00",
      ]) {
        await rejectsWith(
          store.recordHeartbeat({ mac, status: "building", timestamp: new Date() }),
          "INVALID_ARGUMENT",
        );
        await rejectsWith(store.recordReport({ ...ready(), mac }), "INVALID_ARGUMENT");
      }
      expect(await store.listUnits()).toEqual([]);
    });

    test("creates a building unit on the first heartbeat and updates it on the next", async () => {
      const first = await store.recordHeartbeat({
        mac: MAC,
        status: "building",
        stage: "deploying_services",
        port: "3",
        timestamp: new Date("2025-09-29T12:00:00Z"),
      });
      expect(first).toMatchObject({ mac: MAC, status: "building", stage: "deploying_services", port: "3" });
      expect(first.hasCredentials).toBe(false);
      const second = await store.recordHeartbeat({
        mac: MAC,
        status: "building",
        stage: "self_test",
        timestamp: new Date("2025-09-29T12:01:00Z"),
      });
      expect(second.stage).toBe("self_test");
      expect(second.port).toBe("3");
      expect(second.lastHeartbeat?.toISOString()).toBe("2025-09-29T12:01:00.000Z");
      expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
    });

    test("stores a success report with credentials kept apart from the unit", async () => {
      await store.recordHeartbeat({
        mac: MAC,
        status: "building",
        stage: "self_test",
        timestamp: new Date(),
      });
      const { unit, created } = await store.recordReport(ready());
      expect(created).toBe(true);
      expect(unit).toMatchObject({ mac: MAC, status: "ready", serial: ready().serial, hasCredentials: true });
      expect(unit.buildDurationSeconds).toBe(847);
      expect(unit.testResults).toEqual({ portainer: "pass", adguard: "pass" });
      expect(JSON.stringify(unit)).not.toContain("confett1");
      expect(await store.getCredentials(MAC)).toEqual({
        adminPassword: "confett1-j0gging-App3NDix",
        servicesPassword: "4ntENNAe-B4sil-mat3rnIty",
      });
      expect((await store.getUnit(MAC))?.stage).toBe("self_test");
    });

    test("stores a failure report with its diagnostics", async () => {
      const { unit } = await store.recordReport({
        ...(failed(MAC, ["adguard", "homer"]) as Extract<UnitReport, { status: "failed" }>),
        diagnosticData: "ip addr",
      });
      expect(unit).toMatchObject({
        status: "failed",
        failedTests: ["adguard", "homer"],
        errorLog: "adguard did not resolve",
      });
      expect(unit.diagnosticData).toBe("ip addr");
      expect(unit.hasCredentials).toBe(false);
      expect(await store.getCredentials(MAC)).toBeUndefined();
    });

    test("rejects a ready report without credentials and writes nothing", async () => {
      const bad = { mac: MAC, status: "ready", serial: "x" } as unknown as UnitReport;
      await rejectsWith(store.recordReport(bad), "INVALID_ARGUMENT");
      expect(await store.getUnit(MAC)).toBeUndefined();
    });

    test("absorbs an identical retried report: one record", async () => {
      const a = await store.recordReport(ready(), { idempotencyKey: "k1" });
      const b = await store.recordReport(ready(), { idempotencyKey: "k1" });
      const c = await store.recordReport(ready());
      expect([a.created, b.created, c.created]).toEqual([true, false, false]);
      expect(await store.listUnits()).toHaveLength(1);
    });

    test("rejects an idempotency key reused for different content with CONFLICT", async () => {
      await store.recordReport(ready(), { idempotencyKey: "k1" });
      await rejectsWith(store.recordReport(ready("aa:bb:cc:00:00:02"), { idempotencyKey: "k1" }), "CONFLICT");
      expect(await store.getUnit("aa:bb:cc:00:00:02")).toBeUndefined();
    });

    test("rejects a second, different report with INVALID_TRANSITION and keeps the first", async () => {
      await store.recordReport(ready());
      await rejectsWith(
        store.recordReport(
          ready(MAC, { credentials: { adminPassword: "other", servicesPassword: "other" } }),
        ),
        "INVALID_TRANSITION",
      );
      await rejectsWith(store.recordReport(failed(MAC, ["adguard"])), "INVALID_TRANSITION");
      expect((await store.getCredentials(MAC))?.adminPassword).toBe("confett1-j0gging-App3NDix");
      expect((await store.getUnit(MAC))?.status).toBe("ready");
    });

    test("rejects a heartbeat for a ready or failed unit with INVALID_TRANSITION", async () => {
      await store.recordReport(ready());
      await store.recordReport(failed("aa:bb:cc:00:00:02", ["x"]));
      for (const mac of [MAC, "aa:bb:cc:00:00:02"]) {
        await rejectsWith(
          store.recordHeartbeat({ mac, status: "building", timestamp: new Date() }),
          "INVALID_TRANSITION",
        );
      }
      expect((await store.getUnit(MAC))?.status).toBe("ready");
      expect((await store.getUnit("aa:bb:cc:00:00:02"))?.status).toBe("failed");
    });

    test("deleteCredentials destroys the passwords and marks the unit labeled", async () => {
      await store.recordReport(ready());
      expect(await store.deleteCredentials("AA-BB-CC-00-00-01")).toBe(true);
      expect(await store.getCredentials(MAC)).toBeUndefined();
      const unit = await store.getUnit(MAC);
      expect(unit).toMatchObject({ status: "labeled", hasCredentials: false });
      expect(unit?.labeledAt).toBeInstanceOf(Date);
      expect(await store.deleteCredentials(MAC)).toBe(false);
      expect(await store.deleteCredentials("aa:bb:cc:00:00:09")).toBe(false);
    });

    test("a labeled unit cannot report or heartbeat again", async () => {
      await store.recordReport(ready());
      await store.deleteCredentials(MAC);
      await rejectsWith(store.recordReport(ready()), "INVALID_TRANSITION");
      await rejectsWith(
        store.recordHeartbeat({ mac: MAC, status: "building", timestamp: new Date() }),
        "INVALID_TRANSITION",
      );
      expect(await store.getCredentials(MAC)).toBeUndefined();
      expect((await store.getUnit(MAC))?.status).toBe("labeled");
    });

    test("counts label prints; the second and later count as reprints", async () => {
      await rejectsWith(store.recordLabelPrint(MAC), "NOT_FOUND");
      await store.recordHeartbeat({ mac: MAC, status: "building", timestamp: new Date() });
      await rejectsWith(store.recordLabelPrint(MAC), "INVALID_TRANSITION");
      await store.recordReport(ready());
      expect((await store.recordLabelPrint(MAC)).reprints).toBe(0);
      expect((await store.recordLabelPrint(MAC)).reprints).toBe(1);
      expect((await store.recordLabelPrint(MAC)).reprints).toBe(2);
      expect((await store.metrics()).reprints).toBe(2);
    });

    test("markStuck marks only building units with old heartbeats; a heartbeat revives them", async () => {
      const old = new Date("2025-09-29T12:00:00Z");
      const fresh = new Date("2025-09-29T12:10:00Z");
      await store.recordHeartbeat({ mac: MAC, status: "building", timestamp: old });
      await store.recordHeartbeat({ mac: "aa:bb:cc:00:00:02", status: "building", timestamp: fresh });
      await store.recordHeartbeat({ mac: "aa:bb:cc:00:00:03", status: "building", timestamp: old });
      await store.recordReport(ready("aa:bb:cc:00:00:03"));
      const stuck = await store.markStuck(new Date("2025-09-29T12:05:00Z"));
      expect(stuck.map((u) => u.mac)).toEqual([MAC]);
      expect(stuck[0]!.status).toBe("stuck");
      expect((await store.getUnit(MAC))?.status).toBe("stuck");
      expect(await store.markStuck(new Date("2025-09-29T12:05:00Z"))).toEqual([]);
      expect((await store.recordHeartbeat({ mac: MAC, status: "building", timestamp: fresh })).status).toBe(
        "building",
      );
      await store.markStuck(new Date("2025-09-29T12:20:00Z"));
      const { unit } = await store.recordReport(failed(MAC, ["homer"]));
      expect(unit.status).toBe("failed");
    });

    test("lists units newest first, filtered by status and limited", async () => {
      await store.recordHeartbeat({ mac: "aa:bb:cc:00:00:01", status: "building", timestamp: new Date() });
      await new Promise((r) => setTimeout(r, 5));
      await store.recordReport(ready("aa:bb:cc:00:00:02"));
      await new Promise((r) => setTimeout(r, 5));
      await store.recordReport(failed("aa:bb:cc:00:00:03", ["x"]));
      expect((await store.listUnits()).map((u) => u.mac)).toEqual([
        "aa:bb:cc:00:00:03",
        "aa:bb:cc:00:00:02",
        "aa:bb:cc:00:00:01",
      ]);
      expect((await store.listUnits({ status: "ready" })).map((u) => u.mac)).toEqual(["aa:bb:cc:00:00:02"]);
      expect((await store.listUnits({ status: ["ready", "building"] })).map((u) => u.mac).sort()).toEqual([
        "aa:bb:cc:00:00:01",
        "aa:bb:cc:00:00:02",
      ]);
      expect(await store.listUnits({ limit: 1 })).toHaveLength(1);
      expect(await store.listUnits({ since: new Date(Date.now() + 60_000) })).toEqual([]);
    });

    test("stores debug logs for known units only; deleteUnit removes the unit and its logs", async () => {
      await rejectsWith(
        store.addDebugLog({ mac: MAC, collectedAt: new Date(), entries: { "ip addr show": "..." } }),
        "NOT_FOUND",
      );
      await store.recordReport(failed(MAC, ["adguard"]));
      const a = await store.addDebugLog({
        mac: "AA:BB:CC:00:00:01",
        collectedAt: new Date("2025-09-29T13:00:00Z"),
        entries: { "systemctl --failed": "0 loaded units" },
      });
      await store.addDebugLog({
        mac: MAC,
        collectedAt: new Date("2025-09-29T12:00:00Z"),
        entries: { "ss -tlnp": "LISTEN" },
      });
      expect(a.id).toBeTruthy();
      const logs = await store.listDebugLogs(MAC);
      expect(logs.map((l) => Object.keys(l.entries)[0])).toEqual(["ss -tlnp", "systemctl --failed"]);
      expect(await store.deleteUnit(MAC)).toBe(true);
      expect(await store.getUnit(MAC)).toBeUndefined();
      expect(await store.listDebugLogs(MAC)).toEqual([]);
      expect(await store.deleteUnit(MAC)).toBe(false);
      const again = await store.recordHeartbeat({ mac: MAC, status: "building", timestamp: new Date() });
      expect(again.status).toBe("building");
    });

    test("registers devices idempotently and never lists their secrets", async () => {
      const reg = {
        deviceId: "esp32-0042",
        uniqueId: "24:0a:c4:00:00:42",
        mac: "24-0A-C4-00-00-42",
        boardType: "esp32",
        stationId: "station_1",
        batchId: "B1",
        deviceSecret: "s3cret-device",
        provisioningToken: "tok-once",
      };
      const a = await store.addRegistration(reg);
      const b = await store.addRegistration(reg);
      expect([a.created, b.created]).toEqual([true, false]);
      expect(a.registration.mac).toBe("24:0a:c4:00:00:42");
      expect(a.registration.createdAt).toBeInstanceOf(Date);
      await rejectsWith(store.addRegistration({ ...reg, boardType: "esp8266" }), "CONFLICT");
      await store.addRegistration({
        deviceId: "esp32-0043",
        uniqueId: "u43",
        boardType: "esp32",
        batchId: "B2",
      });
      const listed = await store.listRegistrations({ batchId: "B1" });
      expect(listed.map((r) => r.deviceId)).toEqual(["esp32-0042"]);
      expect(listed[0]).not.toHaveProperty("deviceSecret");
      expect(listed[0]).not.toHaveProperty("provisioningToken");
      expect(JSON.stringify(listed)).not.toContain("s3cret");
      expect(await store.listRegistrations({ stationId: "station_9" })).toEqual([]);
      expect(await store.listRegistrations()).toHaveLength(2);
    });

    test("bulk registration is all or nothing", async () => {
      await store.addRegistration({ deviceId: "d1", uniqueId: "u1", boardType: "esp32" });
      await rejectsWith(
        store.addRegistrations([
          { deviceId: "d2", uniqueId: "u2", boardType: "esp32" },
          { deviceId: "d1", uniqueId: "DIFFERENT", boardType: "esp32" },
        ]),
        "CONFLICT",
      );
      expect((await store.listRegistrations()).map((r) => r.deviceId)).toEqual(["d1"]);
      const out = await store.addRegistrations([
        { deviceId: "d1", uniqueId: "u1", boardType: "esp32" },
        { deviceId: "d2", uniqueId: "u2", boardType: "esp32" },
      ]);
      expect(out.map((r) => r.created)).toEqual([false, true]);
    });

    test("upserts batches and lists them newest first", async () => {
      await store.upsertBatch({
        batchId: "B1",
        stationId: "s1",
        startedAt: day("2025-09-28"),
        total: 10,
        passed: 9,
        failed: 1,
      });
      await store.upsertBatch({
        batchId: "B2",
        stationId: "s2",
        startedAt: day("2025-09-29"),
        total: 5,
        passed: 5,
        failed: 0,
      });
      await store.upsertBatch({
        batchId: "B1",
        stationId: "s1",
        startedAt: day("2025-09-28"),
        finishedAt: day("2025-09-28"),
        total: 12,
        passed: 10,
        failed: 2,
      });
      const all = await store.listBatches();
      expect(all.map((b) => b.batchId)).toEqual(["B2", "B1"]);
      expect(all[1]).toMatchObject({ total: 12, passed: 10, failed: 2 });
      expect(all[1]!.finishedAt?.toISOString()).toBe(day("2025-09-28").toISOString());
      expect((await store.listBatches({ stationId: "s1" })).map((b) => b.batchId)).toEqual(["B1"]);
      expect(await store.listBatches({ limit: 1 })).toHaveLength(1);
    });

    test("keeps an audit log, newest first, filterable", async () => {
      await store.appendAudit({
        at: new Date("2025-09-29T12:00:00Z"),
        actor: "label-station-1",
        action: "credentials.read",
        mac: "AA-BB-CC-00-00-01",
      });
      await store.appendAudit({
        at: new Date("2025-09-29T12:01:00Z"),
        actor: "label-station-1",
        action: "label.printed",
        mac: MAC,
        details: { printer: "zebra" },
      });
      await store.appendAudit({
        at: new Date("2025-09-29T12:02:00Z"),
        actor: "admin",
        action: "unit.deleted",
        mac: "aa:bb:cc:00:00:02",
      });
      const forUnit = await store.listAudit({ mac: MAC });
      expect(forUnit.map((e) => e.action)).toEqual(["label.printed", "credentials.read"]);
      expect(forUnit[0]!.details).toEqual({ printer: "zebra" });
      expect(forUnit[0]!.at.toISOString()).toBe("2025-09-29T12:01:00.000Z");
      expect((await store.listAudit({ action: "unit.deleted" }))[0]?.actor).toBe("admin");
      expect(await store.listAudit({ limit: 2 })).toHaveLength(2);
    });

    test("computes the seed's quality metrics", async () => {
      await store.recordReport(
        ready("aa:bb:cc:00:00:01", { buildTime: day("2025-09-28"), buildDurationSeconds: 800 }),
      );
      await store.recordReport(
        ready("aa:bb:cc:00:00:02", { buildTime: day("2025-09-29"), buildDurationSeconds: 900 }),
      );
      await store.recordReport(failed("aa:bb:cc:00:00:03", ["adguard", "homer"], day("2025-09-29")));
      await store.recordReport(failed("aa:bb:cc:00:00:04", ["adguard"], day("2025-09-29")));
      await store.recordReport(
        ready("aa:bb:cc:00:00:05", { buildTime: day("2025-09-29"), buildDurationSeconds: 1000 }),
      );
      await store.deleteCredentials("aa:bb:cc:00:00:05");
      await store.recordReport(ready("aa:bb:cc:00:00:06", { buildTime: day("2025-10-01") }));
      await store.recordLabelPrint("aa:bb:cc:00:00:02");
      await store.recordLabelPrint("aa:bb:cc:00:00:02");
      const m = await store.metrics({ until: day("2025-09-30") });
      expect(m.successRateByDay).toEqual([
        { date: "2025-09-29", success: 2, failed: 2, successRate: 50 },
        { date: "2025-09-28", success: 1, failed: 0, successRate: 100 },
      ]);
      expect(m.averageBuildDurationSeconds).toBe(900);
      expect(m.commonFailedTests).toEqual([
        { test: "adguard", count: 2 },
        { test: "homer", count: 1 },
      ]);
      expect(m.reprints).toBe(1);
      const since = await store.metrics({ since: day("2025-09-30") });
      expect(since.successRateByDay.map((d) => d.date)).toEqual(["2025-10-01"]);
      const empty = await store.metrics({ since: day("2030-01-01") });
      expect(empty).toEqual({
        successRateByDay: [],
        averageBuildDurationSeconds: null,
        commonFailedTests: [],
        reprints: 0,
      });
    });

    test("an aborted signal rejects with ABORTED and writes nothing", async () => {
      const controller = new AbortController();
      controller.abort();
      const signal = controller.signal;
      await rejectsWith(
        store.recordHeartbeat({ mac: MAC, status: "building", timestamp: new Date() }, { signal }),
        "ABORTED",
      );
      await rejectsWith(store.recordReport(ready(), { signal }), "ABORTED");
      expect(await store.listUnits()).toEqual([]);
    });

    test("parallel heartbeats and retried reports keep one record per unit", async () => {
      const macs = Array.from({ length: 20 }, (_, i) => `aa:bb:cc:00:01:${i.toString(16).padStart(2, "0")}`);
      await Promise.all(
        macs.flatMap((mac) =>
          [0, 1, 2].map((n) =>
            store.recordHeartbeat({ mac, status: "building", stage: `s${n}`, timestamp: new Date() }),
          ),
        ),
      );
      const results = await Promise.all(
        macs.flatMap((mac) => [store.recordReport(ready(mac)), store.recordReport(ready(mac))]),
      );
      expect(results.filter((r) => r.created)).toHaveLength(20);
      const units = await store.listUnits();
      expect(units).toHaveLength(20);
      expect(units.every((u) => u.status === "ready")).toBe(true);
    });

    test("deleted credentials leave no readable trace in the stored bytes", async () => {
      if (!fx.rawFiles)
        throw new Error("This store has no rawFiles probe: pass one, or skip this test with a reason");
      const admin = "Zq7-unique-admin-Passw0rd-4417";
      const services = "Zq7-unique-services-Passw0rd-9921";
      await store.recordReport(
        ready(MAC, { credentials: { adminPassword: admin, servicesPassword: services } }),
      );
      const needles = [admin, services].map((s) => new TextEncoder().encode(s));
      for (const file of await fx.rawFiles()) for (const n of needles) expect(contains(file, n)).toBe(false);
      const traces = (await fx.secretTraces?.(MAC)) ?? [];
      if (fx.secretTraces) expect(traces.length).toBeGreaterThan(0);
      const before = await fx.rawFiles();
      for (const t of traces)
        expect(
          before.some((file) => contains(file, t)),
          "trace present before deletion",
        ).toBe(true);
      expect(await store.deleteCredentials(MAC)).toBe(true);
      for (const file of await fx.rawFiles()) {
        for (const n of [...needles, ...traces]) expect(contains(file, n)).toBe(false);
      }
    });
  });
}
