import { createLogger, isFactoryError, type SwitchEvent } from "@factory/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcurveSwitch } from "../driver";
import { SnmpClient } from "../snmp/client";
import { readVlanMap } from "../snmp/fdb";
import { readFdbOfIds, readPvids } from "../snmp/port-fdb";
import { freeUdpPort } from "../test-support/snmpsim";
import { type ProcurveSimulator, startProcurveSimulator } from "./simulator";

const UNIT = "02:00:5e:10:00:21";

describe("ProCurve simulator: per-port VLANs (dot1qPvid) and per-VLAN FDB ids", () => {
  let sim: ProcurveSimulator;
  let client: SnmpClient;

  beforeAll(async () => {
    // Ports 21 and 22 untagged in VLAN 100, port 5 in VLAN 160, the rest (uplink 24 too) in VLAN 1.
    sim = await startProcurveSimulator({
      community: "vlans",
      learnDelayMs: 0,
      vlans: { "21": 100, "22": 100, "5": 160 },
      uplinkMacs: 3,
    });
    client = new SnmpClient({ host: sim.host, port: sim.port, community: "vlans", timeoutMs: 1000 });
  });
  afterAll(async () => {
    client?.close();
    await sim?.close();
  });

  it("answers dot1qPvid per bridge port, VLAN 1 by default, and maps VLANs to FDB ids that are not VLAN ids", async () => {
    expect(await readPvids(client, [21, 22, 5, 1, 24, 99])).toEqual(
      new Map([
        [21, 100],
        [22, 100],
        [5, 160],
        [1, 1],
        [24, 1],
      ]),
    );
    // dot1qVlanFdbId: FDB id → VLAN id, DEFAULT_VLAN first, the others in VLAN id order.
    expect(await readVlanMap(client)).toEqual(
      new Map([
        [1, 1],
        [2, 100],
        [3, 160],
      ]),
    );
    expect(sim.ports().find((p) => p.port === "21")).toMatchObject({ vlan: 100, ifIndex: 21 });
  });

  it("learns a MAC under its port's FDB id, moves it between FDB ids, and flushes it at link down", async () => {
    const rowsOf = async (fdbId: number) =>
      (await readFdbOfIds(client, [fdbId])).rows.map((r) => `${r.mac}@${r.bridgePort}`);
    sim.plug("21", { mac: UNIT });
    expect(await rowsOf(2)).toEqual([`${UNIT}@21`]);
    expect(await rowsOf(1)).not.toContain(`${UNIT}@21`);
    // Moved to port 3 (VLAN 1): gone from FDB id 2, in FDB id 1 with the uplink's hosts.
    sim.learn("3", UNIT);
    expect(await rowsOf(2)).toEqual([]);
    expect(await rowsOf(1)).toContain(`${UNIT}@3`);
    expect(await rowsOf(1)).toHaveLength(4);
    sim.learn("5", UNIT);
    expect(await rowsOf(3)).toEqual([`${UNIT}@5`]);
    expect(await rowsOf(1)).toHaveLength(3);
    sim.forget(UNIT);
    expect(await rowsOf(3)).toEqual([]);
    sim.plug("22", { mac: UNIT });
    sim.unplug("22");
    expect(await rowsOf(2)).toEqual([]);
    // The BRIDGE-MIB view (indexed by MAC alone) follows the same moves.
    const sw = createProcurveSwitch({ host: sim.host, snmp: { port: sim.port, community: "vlans" } });
    try {
      sim.plug("21", { mac: UNIT });
      expect(await sw.findMac(UNIT)).toEqual({ mac: UNIT, port: "21", vlan: 100 });
    } finally {
      await sw.close();
      sim.unplug("21");
    }
  });

  it("refuses a VLAN outside 1…4094 or on a port the switch does not have", async () => {
    const bad: Array<Record<string, number>> = [{ "21": 0 }, { "21": 4095 }, { "21": 1.5 }, { "30": 100 }];
    for (const vlans of bad) {
      const e = await startProcurveSimulator({ vlans }).catch((error: unknown) => error);
      expect(isFactoryError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });
});

describe("the driver's watcher against the simulator reads the arriving port's VLAN only", () => {
  it("after a link up walks the FDB id of the port's VLAN, not the whole FDB behind the uplink", async () => {
    const trapPort = await freeUdpPort();
    const UPLINK_MACS = 2000;
    const sim = await startProcurveSimulator({
      community: "arrive",
      trapTargets: [{ host: "127.0.0.1", port: trapPort }],
      vlans: { "21": 100 },
      uplinkMacs: UPLINK_MACS,
      learnDelayMs: 300,
    });
    const reads: Array<Record<string, unknown>> = [];
    const logger = createLogger({
      level: "debug",
      sink: (r) => {
        if (r.message === "port FDB read") reads.push(r.fields);
      },
    });
    const sw = createProcurveSwitch(
      {
        host: sim.host,
        snmp: { port: sim.port, community: "arrive", timeoutMs: 2000, retries: 1 },
        uplinks: ["24"],
        traps: { port: trapPort, address: "127.0.0.1" },
        // No periodic whole read within the test: what the arrival costs is all the agent serves.
        timing: { pollIntervalMs: 60_000 },
      },
      logger,
    );
    const controller = new AbortController();
    const events: SwitchEvent[] = [];
    let atHealth: { outPackets: number; outVarbinds: number } | undefined;
    const done = (async () => {
      for await (const e of sw.watch({ ports: ["21"], signal: controller.signal })) {
        events.push(e);
        if (e.type === "health" && !atHealth) {
          atHealth = { ...sim.stats };
          sim.plug("21", { mac: UNIT });
        }
        if (e.type === "mac-learned") controller.abort();
      }
    })().catch((error: unknown) => {
      if (!isFactoryError(error, "ABORTED")) throw error;
    });
    try {
      await done;
      const arrival = {
        requests: sim.stats.outPackets - atHealth!.outPackets,
        varbinds: sim.stats.outVarbinds - atHealth!.outVarbinds,
      };
      expect(events.filter((e) => e.type !== "health")).toMatchObject([
        { type: "link-up", port: "21" },
        { type: "mac-learned", port: "21", mac: UNIT, vlan: 100 },
      ]);
      // Every arrival read went by the port's PVID to VLAN 100's FDB id (2), none to the whole FDB.
      expect(reads.length).toBeGreaterThanOrEqual(1);
      for (const r of reads) expect(r).toEqual({ ports: ["21"], via: "fdb-id", fdbIds: [2] });

      // What one whole read of the same FDB costs the agent, for comparison.
      const before = { ...sim.stats };
      expect((await sw.macsOnPort("24")).length).toBe(UPLINK_MACS);
      const whole = {
        requests: sim.stats.outPackets - before.outPackets,
        varbinds: sim.stats.outVarbinds - before.outVarbinds,
      };
      expect(whole.varbinds).toBeGreaterThanOrEqual(UPLINK_MACS);
      // All the arrival reads together (PVID GET and subtree walks, one per 100 ms → 1 s step)
      // cost a fraction of one whole read.
      expect(arrival.varbinds).toBeLessThan(whole.varbinds / 2);
      expect(arrival.requests).toBeLessThan(whole.requests / 2);
    } finally {
      controller.abort();
      await done;
      await sw.close();
      await sim.close();
    }
  });
});
