import type { FactoryError } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { type LinkTrap, TrapListener } from "../snmp/trap-listener";
import { freeUdpPort } from "../test-support/snmpsim";
import { type ProcurveSimulator, startProcurveSimulator } from "./simulator";

/** The driver's own trap receiver (net-snmp's decoder), collecting what arrives. */
async function listen(community: string): Promise<{
  port: number;
  traps: LinkTrap[];
  rejected: FactoryError[];
  next(n: number): Promise<LinkTrap[]>;
  close(): void;
}> {
  const port = await freeUdpPort();
  const listener = new TrapListener({ port, address: "127.0.0.1", communities: [community] });
  await listener.start();
  const traps: LinkTrap[] = [];
  const rejected: FactoryError[] = [];
  listener.subscribe({ onLink: (t) => traps.push(t), onRejected: (e) => rejected.push(e) });
  return {
    port,
    traps,
    rejected,
    async next(n) {
      const deadline = Date.now() + 5000;
      while (traps.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return traps.slice(0, n);
    },
    close: () => listener.close(),
  };
}

describe("link traps from the simulator", () => {
  let sim: ProcurveSimulator | undefined;
  const closers: Array<() => void> = [];
  afterEach(async () => {
    for (const c of closers.splice(0)) c();
    await sim?.close();
  });

  for (const version of ["2c", "1"] as const) {
    it(`sends v${version} linkUp on plug and linkDown on unplug, with the port's ifIndex`, async () => {
      const rx = await listen("traps-here");
      closers.push(rx.close);
      sim = await startProcurveSimulator({ community: "read-only", learnDelayMs: 0 });
      sim.addTrapTarget({ host: "127.0.0.1", port: rx.port, community: "traps-here", version });
      sim.plug("21", { mac: "02:00:5e:00:00:21" });
      sim.plug("21", { mac: "02:00:5e:00:00:22" }); // second device behind a hub: link already up
      sim.unplug("21");
      sim.unplug("21"); // already down: no second trap
      sim.plug("7", { mac: "02:00:5e:00:00:07" });
      const got = await rx.next(3);
      expect(got.map((t) => [t.kind, t.ifIndex, t.source])).toEqual([
        ["link-up", 21, "127.0.0.1"],
        ["link-down", 21, "127.0.0.1"],
        ["link-up", 7, "127.0.0.1"],
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect(rx.traps).toHaveLength(3);
      expect(rx.rejected).toEqual([]);
    });
  }

  it("uses the simulator's community for targets that name none", async () => {
    const rx = await listen("shared");
    closers.push(rx.close);
    sim = await startProcurveSimulator({
      community: "shared",
      trapTargets: [{ host: "127.0.0.1", port: rx.port }],
    });
    sim.setLink("3", true);
    expect((await rx.next(1)).map((t) => t.kind)).toEqual(["link-up"]);
  });

  it("a trap with the wrong community is dropped by the receiver", async () => {
    const rx = await listen("expected");
    closers.push(rx.close);
    sim = await startProcurveSimulator({
      trapTargets: [{ host: "127.0.0.1", port: rx.port, community: "other" }],
    });
    sim.setLink("3", true);
    sim.setLink("3", false);
    const deadline = Date.now() + 5000;
    while (rx.rejected.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(rx.rejected.map((e) => e.code)).toEqual(["TRAP_REJECTED", "TRAP_REJECTED"]); // they did arrive
    expect(rx.traps).toEqual([]);
  });

  it("rejects trap targets that are not host and UDP port", async () => {
    sim = await startProcurveSimulator();
    expect(() => sim!.addTrapTarget({ host: "", port: 162 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => sim!.addTrapTarget({ host: "127.0.0.1", port: 70000 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
