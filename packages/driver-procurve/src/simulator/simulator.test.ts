import { isFactoryError, type SwitchDriver, type SwitchEvent } from "@factory/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProcurveSwitch } from "../driver";
import { freeUdpPort } from "../test-support/snmpsim";
import { type ProcurveSimulator, startProcurveSimulator } from "./simulator";

const UNIT = { mac: "02:00:5e:10:00:21", ip: "10.0.0.21" };

describe("ProCurve simulator, read by the real driver (SNMP v2c, link traps)", () => {
  let sim: ProcurveSimulator;
  let sw: SwitchDriver;
  let trapPort: number;

  beforeAll(async () => {
    trapPort = await freeUdpPort();
    sim = await startProcurveSimulator({
      community: "factory-ro",
      trapTargets: [{ host: "127.0.0.1", port: trapPort }],
      learnDelayMs: 300,
    });
    sw = createProcurveSwitch({
      host: sim.host,
      snmp: { port: sim.port, community: "factory-ro", timeoutMs: 1000, retries: 1 },
      uplinks: ["24"],
      traps: { port: trapPort, address: "127.0.0.1" },
      timing: { pollIntervalMs: 500 },
    });
  });
  afterAll(async () => {
    await sw?.close();
    await sim?.close();
  });

  it("is identified as a 2810-24G with a Q-BRIDGE FDB", async () => {
    expect(await sw.identify()).toMatchObject({
      sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.63",
      model: "2810-24G (J9021A)",
      firmware: "N.11.15",
      fdbSource: "q-bridge",
    });
  });

  it("lists the 24 front ports, link down except the uplink", async () => {
    const ports = await sw.listPorts();
    expect(ports.map((p) => p.name)).toEqual(Array.from({ length: 24 }, (_, i) => String(i + 1)));
    expect(ports.find((p) => p.name === "24")).toMatchObject({ operStatus: "up", uplink: true, ifIndex: 24 });
    expect(ports.find((p) => p.name === "21")).toMatchObject({ operStatus: "down", uplink: false });
    expect(sim.ports().find((p) => p.port === "24")?.macs.length).toBeGreaterThanOrEqual(24);
  });

  it("watch() sees link-up then mac-learned for a plugged unit, and link-down for unplug; ARP has its ip", async () => {
    const controller = new AbortController();
    const events: SwitchEvent[] = [];
    const seen = (pred: (e: SwitchEvent) => boolean) =>
      new Promise<SwitchEvent>((resolve, reject) => {
        const t = setInterval(() => {
          const e = events.find(pred);
          if (e) {
            clearInterval(t);
            clearTimeout(limit);
            resolve(e);
          }
        }, 20);
        const limit = setTimeout(() => {
          clearInterval(t);
          reject(new Error(`not seen; events: ${JSON.stringify(events)}`));
        }, 8000);
      });
    const loop = (async () => {
      for await (const e of sw.watch({ ports: ["21"], signal: controller.signal })) events.push(e);
    })().catch((error: unknown) => {
      if (!isFactoryError(error, "ABORTED")) throw error;
    });
    try {
      await seen((e) => e.type === "health"); // the watcher has read its first FDB
      sim.plug("21", UNIT);
      expect(sim.ports().find((p) => p.port === "21")).toMatchObject({ up: true, macs: [] }); // not learned yet
      await seen((e) => e.type === "link-up" && e.port === "21");
      const learned = await seen((e) => e.type === "mac-learned" && e.mac === UNIT.mac);
      expect(learned).toMatchObject({ port: "21" });
      expect(await sw.findMac(UNIT.mac)).toMatchObject({ mac: UNIT.mac, port: "21", vlan: 1 });
      expect(await sw.arp()).toContainEqual({ mac: UNIT.mac, ip: UNIT.ip, ifIndex: 313 });

      sim.unplug("21");
      await seen((e) => e.type === "link-down" && e.port === "21");
      expect(await sw.findMac(UNIT.mac)).toBeUndefined();
      expect(events.every((e) => !("port" in e) || e.port === "21")).toBe(true);
    } finally {
      controller.abort();
      await loop;
    }
  });

  it("a MAC plugged into another port moves there", async () => {
    sim.learn("5", "02:00:5e:10:00:05");
    sim.learn("6", "02:00:5e:10:00:05");
    expect(await sw.findMac("02:00:5e:10:00:05")).toMatchObject({ port: "6" });
    expect(await sw.macsOnPort("5")).toEqual([]);
  });

  it("rejects unknown ports and bad MACs with coded errors", () => {
    expect(() => sim.plug("99", UNIT)).toThrow(expect.objectContaining({ code: "PORT_NOT_FOUND" }));
    expect(() => sim.plug("21", { mac: "nope" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => sim.plug("21", { mac: UNIT.mac, ip: "10.0.0" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

describe("ProCurve simulator timing and lifecycle", () => {
  it("learns the MAC only after learnDelayMs, and not at all when unplugged before", async () => {
    const sim = await startProcurveSimulator({ learnDelayMs: 150 });
    try {
      sim.plug("3", { mac: "02:00:5e:00:00:03", ip: "10.0.0.3" });
      sim.plug("4", { mac: "02:00:5e:00:00:04" });
      expect(sim.ports().find((p) => p.port === "3")).toMatchObject({ up: true, macs: [] });
      sim.unplug("4");
      await new Promise((r) => setTimeout(r, 400));
      expect(sim.ports().find((p) => p.port === "3")?.macs).toEqual(["02:00:5e:00:00:03"]);
      expect(sim.ports().find((p) => p.port === "4")).toMatchObject({ up: false, macs: [] });
    } finally {
      await sim.close();
    }
  });

  it("close() cancels pending learns, frees the port, and later calls are refused", async () => {
    const sim = await startProcurveSimulator({ learnDelayMs: 100 });
    sim.plug("3", { mac: "02:00:5e:00:00:03" });
    await sim.close();
    await sim.close(); // twice is harmless
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.ports().find((p) => p.port === "3")?.macs).toEqual([]);
    expect(() => sim.plug("3", { mac: "02:00:5e:00:00:03" })).toThrow(/closed/);
    const again = await startProcurveSimulator({ port: sim.port }); // the UDP port is free again
    await again.close();
  });

  it("an uplink stays up: unplugging it is refused", async () => {
    const sim = await startProcurveSimulator();
    try {
      expect(() => sim.unplug("24")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
      expect(sim.ports().find((p) => p.port === "24")).toMatchObject({ up: true });
    } finally {
      await sim.close();
    }
  });
});

describe("ProCurve simulator models", () => {
  it("poses as a 2510-48 with 50 ports and uplinks as configured", async () => {
    const sim = await startProcurveSimulator({ model: "2510-48", uplinks: ["49", "50"], uplinkMacs: 3 });
    const sw = createProcurveSwitch({ host: sim.host, snmp: { port: sim.port }, uplinks: ["49", "50"] });
    try {
      expect((await sw.identify()).model).toBe("2510-48");
      const ports = await sw.listPorts();
      expect(ports).toHaveLength(50);
      expect(ports.filter((p) => p.operStatus === "up").map((p) => p.name)).toEqual(["49", "50"]);
      expect(await sw.macsOnPort("49")).toHaveLength(3);
    } finally {
      await sw.close();
      await sim.close();
    }
  });

  it("refuses bad options with INVALID_ARGUMENT and a busy port with PORT_BUSY", async () => {
    await expect(startProcurveSimulator({ model: "9999" as never })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    await expect(startProcurveSimulator({ uplinks: ["30"] })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    const first = await startProcurveSimulator();
    try {
      await expect(startProcurveSimulator({ port: first.port })).rejects.toMatchObject({ code: "PORT_BUSY" });
    } finally {
      await first.close();
    }
  });
});
