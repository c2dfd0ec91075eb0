import { createLogger, type SwitchEvent } from "@factory/core";
import { requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcurveSwitch } from "../driver";
import { big48, MAC, procurve2810QBridge, TRUNK_IFINDEX } from "../test-support/datasets";
import { type Row, type SimSwitch, switchRows, toSnmprec } from "../test-support/snmprec";
import {
  freeUdpPort,
  type SimAgent,
  SNMPSIM_PEER,
  sendLinkTrap,
  startSnmpsim,
} from "../test-support/snmpsim";
import { SnmpClient } from "./client";
import { readFdbOfIds, readPvids } from "./port-fdb";

const hasSim = requirePeer(SNMPSIM_PEER);

/** dot1qPvid rows: access ports untagged in VLAN 100, the trunk in VLAN 1. */
function withPvids(sw: SimSwitch): SimSwitch {
  const pvids = sw.bridgePorts.map(
    ([bp, ifIndex]): Row => [
      `1.3.6.1.2.1.17.7.1.4.5.1.1.${bp}`,
      "66",
      ifIndex === TRUNK_IFINDEX ? "1" : "100",
    ],
  );
  return { ...sw, extra: [...(sw.extra ?? []), ...pvids] };
}

describe.runIf(hasSim)("port FDB reads against snmpsimd", () => {
  let sim: SimAgent;
  const client = (community: string) =>
    new SnmpClient({ host: "127.0.0.1", port: sim.port, community, timeoutMs: 1000, retries: 1 });

  beforeAll(async () => {
    sim = await startSnmpsim({
      pvid: toSnmprec(switchRows(withPvids(procurve2810QBridge))),
      nopvid: toSnmprec(switchRows(procurve2810QBridge)),
      big48: toSnmprec(switchRows(withPvids(big48(2000)))),
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("reads the PVID of each bridge port, and nothing for a switch without dot1qPvid", async () => {
    const c = client("pvid");
    expect(await readPvids(c, [21, 5, TRUNK_IFINDEX])).toEqual(
      new Map([
        [21, 100],
        [5, 100],
        [TRUNK_IFINDEX, 1],
      ]),
    );
    c.close();
    const none = client("nopvid");
    expect((await readPvids(none, [21])).size).toBe(0);
    none.close();
  });

  it("walks one FDB id's subtree: its learned rows only, without the switch's own or mgmt entries", async () => {
    const c = client("pvid");
    const factory = await readFdbOfIds(c, [2]);
    expect(factory.malformed).toBe(0);
    expect(factory.rows.map((r) => `${r.mac}@${r.bridgePort}/${r.fdbId}`).sort()).toEqual(
      [`${MAC.debug}@22/2`, `${MAC.label}@21/2`, `${MAC.port5}@5/2`, `${MAC.twice}@7/2`].sort(),
    );
    // FDB id 3 holds a mgmt(5) entry on port 3 and uplink hosts: only the learned ones come back.
    const mgmt = await readFdbOfIds(c, [3]);
    expect(mgmt.rows.some((r) => r.mac === MAC.mgmt)).toBe(false);
    expect(mgmt.rows.length).toBe(20);
    expect(mgmt.rows.every((r) => r.bridgePort === TRUNK_IFINDEX && r.fdbId === 3)).toBe(true);
    c.close();
  });

  it("on a 2,000-entry FDB reads the 92 rows of the factory VLAN, not the whole table", async () => {
    const c = client("big48");
    const factory = await readFdbOfIds(c, [2]);
    expect(factory.rows).toHaveLength(92);
    expect(new Set(factory.rows.map((r) => r.fdbId))).toEqual(new Set([2]));
    c.close();
  });

  it.each([
    ["pvid", { via: "fdb-id", fdbIds: [2] }],
    ["nopvid", { via: "whole", why: "no dot1qPvid for the port" }],
  ])(
    "a link-up trap on port 21 (%s) is followed by a read of that port and the unit's MAC",
    async (community, how) => {
      const trapPort = await freeUdpPort();
      const polls: Array<Record<string, unknown>> = [];
      const reads: Array<Record<string, unknown>> = [];
      const logger = createLogger({
        level: "debug",
        sink: (r) => {
          if (r.message === "switch poll") polls.push(r.fields);
          if (r.message === "port FDB read") reads.push(r.fields);
        },
      });
      const sw = createProcurveSwitch(
        {
          host: "127.0.0.1",
          snmp: { port: sim.port, community, timeoutMs: 1000, retries: 1 },
          traps: { port: trapPort, address: "127.0.0.1" },
          timing: { pollIntervalMs: 60_000 },
        },
        logger,
      );
      const controller = new AbortController();
      const events: SwitchEvent[] = [];
      const done = (async () => {
        for await (const e of sw.watch({ ports: ["21"], signal: controller.signal })) {
          events.push(e);
        }
      })();
      while (!events.some((e) => e.type === "health")) await new Promise((r) => setTimeout(r, 20));
      sendLinkTrap({ port: trapPort, community, kind: "link-up", ifIndex: 21 });
      for (let i = 0; i < 500 && polls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      controller.abort();
      await done;
      await sw.close();
      // The port read finds the unit the first read saw on 21 still there: the link-up is
      // reported, the unit neither leaves nor arrives again.
      expect(events.filter((e) => e.type !== "health")).toMatchObject([{ type: "link-up", port: "21" }]);
      // Baseline (whole), then one read of port 21 only; no whole read for the arrival.
      expect(polls.map((p) => p.scope)).toEqual(["ports"]);
      expect(polls[0]).toMatchObject({ ports: ["21"], entries: 1 });
      // With the port's PVID known only VLAN 100's subtree is walked; without it, the whole FDB.
      expect(reads).toEqual([{ ports: ["21"], ...how }]);
    },
  );
});
