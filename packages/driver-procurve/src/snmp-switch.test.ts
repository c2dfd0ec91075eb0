import { isFactoryError, type SwitchEvent } from "@factory/core";
import { requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcurveSwitch } from "./driver";
import type { SnmpSwitch } from "./snmp-switch";
import {
  big48,
  MAC,
  malformed,
  noBridge,
  procurve2810Bridge,
  procurve2810QBridge,
} from "./test-support/datasets";
import { switchRows, toSnmprec } from "./test-support/snmprec";
import {
  freeUdpPort,
  type SimAgent,
  SNMPSIM_PEER,
  sendLinkTrap,
  startSnmpsim,
  V3,
} from "./test-support/snmpsim";

const hasSim = requirePeer(SNMPSIM_PEER);

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  return isFactoryError(e) ? e.code : e === undefined ? undefined : `not coded: ${String(e)}`;
}

describe.runIf(hasSim)("SnmpSwitch against snmpsimd", () => {
  let sim: SimAgent;
  const open = (community: string, extra: Record<string, unknown> = {}): SnmpSwitch =>
    createProcurveSwitch({
      host: "127.0.0.1",
      snmp: { port: sim.port, community, timeoutMs: 500, retries: 0 },
      ...extra,
    } as never) as SnmpSwitch;

  beforeAll(async () => {
    sim = await startSnmpsim({
      qbridge: toSnmprec(switchRows(procurve2810QBridge)),
      bridge: toSnmprec(switchRows(procurve2810Bridge)),
      nobridge: toSnmprec(switchRows(noBridge)),
      malformed: toSnmprec(switchRows(malformed)),
      big48: toSnmprec(switchRows(big48(2000))),
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("identifies a 2810-24G by sysObjectID and reads its firmware from sysDescr", async () => {
    const sw = open("qbridge");
    const id = await sw.identify();
    expect(id).toMatchObject({
      sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.63",
      model: "2810-24G (J9021A)",
      firmware: "N.11.15",
      fdbSource: "q-bridge",
    });
    await sw.close();
  });

  it("names ports as on the front panel, flags the trunk as uplink and skips VLAN interfaces", async () => {
    const sw = open("qbridge", { uplinks: ["22"] });
    const ports = await sw.listPorts();
    const names = ports.map((p) => p.name);
    expect(names).toContain("21");
    expect(names).toContain("Trk1");
    expect(names).not.toContain("DEFAULT_VLAN");
    expect(ports.find((p) => p.name === "21")).toMatchObject({
      alias: "labeling",
      operStatus: "up",
      uplink: false,
    });
    expect(ports.find((p) => p.name === "1")).toMatchObject({ operStatus: "down" });
    expect(ports.find((p) => p.name === "Trk1")?.uplink).toBe(true);
    expect(ports.find((p) => p.name === "22")?.uplink).toBe(true); // configured
    await sw.close();
  });

  it("reads learned Q-BRIDGE entries per port with the VLAN id, not the FDB id", async () => {
    const sw = open("qbridge");
    expect(await sw.macsOnPort("21")).toEqual([{ mac: MAC.label, port: "21", vlan: 100 }]);
    expect(await sw.macsOnPort("3")).toEqual([]); // only a mgmt entry there
    expect(await sw.findMac(MAC.self)).toBeUndefined();
    expect(await sw.findMac(MAC.twice)).toEqual({ mac: MAC.twice, port: "7", vlan: 100 });
    expect(await sw.findMac("00:50:56:00:00:01")).toBeUndefined(); // behind the uplink
    const trunk = await sw.macsOnPort("Trk1");
    expect(trunk).toHaveLength(41);
    expect(new Set(trunk.map((e) => e.vlan))).toEqual(new Set([1, 160]));
    await sw.close();
  });

  it("falls back to BRIDGE-MIB and maps bridge ports to ifIndexes that differ", async () => {
    const sw = open("bridge");
    expect(await sw.findMac(MAC.debug.toUpperCase())).toEqual({ mac: MAC.debug, port: "22" });
    const port21 = (await sw.listPorts()).find((p) => p.name === "21");
    expect(port21).toMatchObject({ ifIndex: 121, bridgePort: 21 });
    expect((await sw.identify()).fdbSource).toBe("bridge");
    await sw.close();
  });

  it("reads the ARP table without invalid entries", async () => {
    const sw = open("qbridge");
    const arp = await sw.arp();
    expect(arp).toEqual([
      { mac: MAC.label, ip: "10.0.100.21", ifIndex: 412 },
      { mac: MAC.debug, ip: "10.0.100.22", ifIndex: 412 },
    ]);
    await sw.close();
  });

  it("says SWITCH_UNSUPPORTED for an agent with neither bridge MIB", async () => {
    const sw = open("nobridge");
    expect(await codeOf(sw.findMac(MAC.label))).toBe("SWITCH_UNSUPPORTED");
    await sw.close();
  });

  it("skips malformed FDB rows and keeps the good ones", async () => {
    const sw = open("malformed");
    expect(await sw.findMac(MAC.label)).toMatchObject({ port: "21" });
    expect(await sw.macsOnPort("21")).toHaveLength(1);
    await sw.close();
  });

  it("reads a 48-port switch with 2,000 FDB entries", async () => {
    const sw = open("big48");
    const trunk = await sw.macsOnPort("Trk1");
    expect(trunk.length).toBe(2000 - 92);
    expect(await sw.macsOnPort("17")).toHaveLength(2);
    await sw.close();
  });

  it("speaks SNMPv3 authPriv (SHA + AES) and rejects wrong keys with SWITCH_AUTH_FAILED", async () => {
    const v3 = (authKey: string) =>
      createProcurveSwitch({
        host: "127.0.0.1",
        snmp: {
          port: sim.port,
          version: "3",
          user: { name: V3.user, authProtocol: "sha", authKey, privProtocol: "aes", privKey: V3.privKey },
          context: "qbridge",
          timeoutMs: 500,
          retries: 0,
        },
      });
    const good = v3(V3.authKey);
    expect((await good.identify()).model).toBe("2810-24G (J9021A)");
    expect(await good.findMac(MAC.label)).toMatchObject({ port: "21" });
    await good.close();
    const bad = v3("not-the-key-1");
    expect(await codeOf(bad.identify())).toBe("SWITCH_AUTH_FAILED");
    await bad.close();
  });

  it("says SWITCH_UNREACHABLE for a wrong community or an agent that does not answer", async () => {
    const wrong = open("no-such-community");
    expect(await codeOf(wrong.identify())).toBe("SWITCH_UNREACHABLE");
    await wrong.close();
    const silent = createProcurveSwitch({
      host: "127.0.0.1",
      snmp: { port: await freeUdpPort(), community: "qbridge", timeoutMs: 200, retries: 1 },
    });
    expect(await codeOf(silent.listPorts())).toBe("SWITCH_UNREACHABLE");
    await silent.close();
  });

  it("rejects bad input without touching the switch", async () => {
    const sw = open("qbridge");
    expect(await codeOf(sw.findMac("zz:zz"))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(sw.macsOnPort("99"))).toBe("PORT_NOT_FOUND");
    expect(() => createProcurveSwitch({ host: "" } as never)).toThrow(/host/);
    expect(() => createProcurveSwitch({ host: "x", snmp: { version: "5" } } as never)).toThrow(/version/);
    await sw.close();
  });

  it("cancels a walk in progress with ABORTED", async () => {
    const sw = open("big48");
    const controller = new AbortController();
    const pending = sw.macsOnPort("Trk1", { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await codeOf(pending)).toBe("ABORTED");
    await sw.close();
  });

  it("polls when no traps are configured, and reports a MAC that appears after link up", async () => {
    // The Q-BRIDGE set is static, so the baseline already has everything: watch sees no change.
    const sw = open("qbridge", { timing: { pollIntervalMs: 200 } });
    const controller = new AbortController();
    const events: SwitchEvent[] = [];
    setTimeout(() => controller.abort(), 1000);
    for await (const e of sw.watch({ signal: controller.signal })) events.push(e);
    expect(events[0]).toMatchObject({ type: "health", ok: true });
    expect(events.filter((e) => e.type !== "health")).toEqual([]);
    await sw.close();
  });

  it("reports traps from unknown sources or with a wrong community as health, and keeps watching", async () => {
    const trapPort = await freeUdpPort();
    const sw = open("qbridge", {
      traps: { port: trapPort, address: "127.0.0.1", allowedSources: ["127.0.0.1"] },
    });
    const controller = new AbortController();
    const events: SwitchEvent[] = [];
    const done = (async () => {
      for await (const e of sw.watch({ signal: controller.signal })) {
        events.push(e);
        if (e.type === "link-up") controller.abort();
      }
    })();
    while (!events.some((e) => e.type === "health")) await new Promise((r) => setTimeout(r, 20));
    sendLinkTrap({ port: trapPort, community: "wrong", kind: "link-up", ifIndex: 21 });
    await new Promise((r) => setTimeout(r, 200));
    sendLinkTrap({ port: trapPort, community: "qbridge", kind: "link-up", ifIndex: 21, version: "1" });
    await done;
    const rejected = events.find((e) => e.type === "health" && e.error?.code === "TRAP_REJECTED");
    expect(rejected).toBeDefined();
    expect(events.at(-1)).toMatchObject({ type: "link-up", port: "21" });
    await sw.close();

    const strict = open("qbridge", {
      traps: { port: trapPort, address: "127.0.0.1", allowedSources: ["10.9.9.9"] },
    });
    const c2 = new AbortController();
    const seen: SwitchEvent[] = [];
    const d2 = (async () => {
      for await (const e of strict.watch({ signal: c2.signal })) {
        seen.push(e);
        if (e.type === "health" && e.error) c2.abort();
      }
    })();
    while (!seen.some((e) => e.type === "health")) await new Promise((r) => setTimeout(r, 20));
    sendLinkTrap({ port: trapPort, community: "qbridge", kind: "link-up", ifIndex: 21 });
    await d2;
    expect(seen.at(-1)).toMatchObject({ type: "health", ok: true, error: { code: "TRAP_REJECTED" } });
    expect(seen.some((e) => e.type === "link-up")).toBe(false);
    await strict.close();
  });
});
