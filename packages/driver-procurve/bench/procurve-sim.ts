/**
 * `pnpm bench procurve-sim`: the ProCurve simulator under the real driver. Reads a 2,000-entry
 * FDB (hosts behind the uplink) and measures what does not depend on machine load: SNMP requests
 * and response bytes per read, and CPU time of this process (driver and simulator together) per
 * read; then plug → mac-learned through a linkUp trap (wall clock, noisy under load).
 * The last line is JSON.
 */
import { performance } from "node:perf_hooks";
import type { SwitchEvent } from "@factory/core";
import { createProcurveSwitch } from "../src/driver";
import { parseOid, Tag } from "../src/simulator/ber";
import { decodeRequest, encodeMessage, encodeVarBind } from "../src/simulator/message";
import { MibStore } from "../src/simulator/mib-store";
import { SIMULATED_MODELS } from "../src/simulator/models";
import { respond } from "../src/simulator/responder";
import { startProcurveSimulator } from "../src/simulator/simulator";
import { defineSwitchObjects, renderSwitchMib } from "../src/simulator/switch-mib";
import { freeUdpPort } from "../src/test-support/snmpsim";

const READS = Number(process.env.BENCH_ROUNDS ?? 10);
const ENTRIES = 2000;
const round = (x: number): number => Math.round(x * 10) / 10;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const trapPort = await freeUdpPort();
const sim = await startProcurveSimulator({
  uplinkMacs: ENTRIES,
  learnDelayMs: 0,
  trapTargets: [{ host: "127.0.0.1", port: trapPort }],
});
const sw = createProcurveSwitch({
  host: sim.host,
  snmp: { port: sim.port },
  uplinks: ["24"],
  traps: { port: trapPort, address: "127.0.0.1" },
  fdbStatusMaxAgeMs: 0,
});
try {
  await sw.macsOnPort("24"); // port map and VLAN map cached, JIT warm
  const before = { ...sim.stats };
  const cpu0 = process.cpuUsage();
  const wall: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t = performance.now();
    const rows = await sw.macsOnPort("24");
    wall.push(performance.now() - t);
    if (rows.length !== ENTRIES) throw new Error(`read ${rows.length} entries, not ${ENTRIES}`);
  }
  const cpu = process.cpuUsage(cpu0);
  const requests = (sim.stats.inPackets - before.inPackets) / READS;
  const kbytes = (sim.stats.outBytes - before.outBytes) / READS / 1024;
  const cpuMs = (cpu.user + cpu.system) / 1000 / READS;
  console.log(
    `FDB read of ${ENTRIES} entries (port + status columns): ${requests} requests, ${round(kbytes)} KiB of responses, ` +
      `${round(cpuMs)} ms CPU (driver + simulator), median ${round(median(wall))} ms wall`,
  );

  // The agent alone (decode + answer, no sockets, no driver): the same walk, 50 rows per GETBULK.
  const mib = new MibStore();
  defineSwitchObjects(mib);
  renderSwitchMib(
    {
      model: SIMULATED_MODELS["2810-24G"],
      baseMac: [0, 0x21, 0xf7, 0, 0, 0],
      ports: [
        {
          name: "24",
          ifIndex: 24,
          up: true,
          uplink: true,
          vlan: 1,
          lastChange: 0,
          macs: sim.ports()[23]!.macs,
        },
      ],
      fdbIds: new Map([[1, 1]]),
      arp: new Map(),
      upTime: () => 1,
    },
    mib,
  );
  const columns = [parseOid("1.3.6.1.2.1.17.7.1.2.2.1.2"), parseOid("1.3.6.1.2.1.17.7.1.2.2.1.3")];
  const limits = { maxMessageSize: 65_507, maxBulkVarbinds: 2048 };
  const inColumn = (oid: readonly number[], col: readonly number[]): boolean =>
    oid.length > col.length && col.every((n, k) => oid[k] === n);
  // The walk's GETBULK requests, built beforehand so that only the agent's work is timed.
  const walkRequests: Buffer[] = [];
  let walks = columns.map((col) => ({ col, cur: col as readonly number[] }));
  while (walks.length > 0) {
    const vbs = walks.map((w) => encodeVarBind({ oid: w.cur, value: { type: Tag.Null } }));
    walkRequests.push(
      encodeMessage(1, Buffer.from("public"), Tag.GetBulkRequest, [walkRequests.length, 0, 50], vbs),
    );
    walks = walks.flatMap((w) => {
      let cur = w.cur;
      for (let i = 0; i < 50; i++) cur = mib.next(cur)?.oid ?? cur;
      return inColumn(cur, w.col) && cur !== w.cur ? [{ col: w.col, cur }] : [];
    });
  }
  const agentRequests = walkRequests.length;
  for (const req of walkRequests) respond(decodeRequest(req), mib, limits); // warm
  const cpuAgent0 = process.cpuUsage();
  for (let i = 0; i < READS; i++) for (const req of walkRequests) respond(decodeRequest(req), mib, limits);
  const cpuAgent = process.cpuUsage(cpuAgent0);
  const agentCpuMs = (cpuAgent.user + cpuAgent.system) / 1000 / READS;
  console.log(
    `the agent's share of one read (decode + answer ${agentRequests} GETBULKs, no I/O): ${round(agentCpuMs)} ms CPU`,
  );

  // The simulator's own share: CPU per plug + unplug (the MIB is re-rendered and re-sorted on
  // each change), with the watch not running.
  const cpuPlug0 = process.cpuUsage();
  const PLUGS = 50;
  for (let i = 0; i < PLUGS; i++) {
    sim.plug("20", { mac: "02:00:5e:00:02:01" });
    sim.unplug("20");
  }
  const cpuPlug = process.cpuUsage(cpuPlug0);
  const plugCpuMs = (cpuPlug.user + cpuPlug.system) / 1000 / PLUGS;
  console.log(
    `plug + unplug with ${ENTRIES} FDB entries: ${round(plugCpuMs)} ms CPU (rows updated in place)`,
  );

  const controller = new AbortController();
  const events: SwitchEvent[] = [];
  const loop = (async () => {
    for await (const e of sw.watch({ ports: ["21"], signal: controller.signal })) events.push(e);
  })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 500));
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const mac = `02:00:5e:00:01:${(i + 1).toString(16).padStart(2, "0")}`;
    const t = performance.now();
    sim.plug("21", { mac });
    while (!events.some((e) => e.type === "mac-learned" && e.mac === mac)) {
      if (performance.now() - t > 10_000) throw new Error("no mac-learned within 10 s");
      await new Promise((r) => setTimeout(r, 2));
    }
    latencies.push(performance.now() - t);
    sim.unplug("21");
    await new Promise((r) => setTimeout(r, 300));
  }
  controller.abort();
  await loop;
  console.log(`plug → mac-learned (trap, then FDB poll): median ${round(median(latencies))} ms wall`);
  console.log(
    JSON.stringify({
      fdbEntries: ENTRIES,
      requestsPerRead: requests,
      responseKiBPerRead: round(kbytes),
      cpuMsPerRead: round(cpuMs),
      agentCpuMsPerRead: round(agentCpuMs),
      plugUnplugCpuMs: round(plugCpuMs),
      wallMsPerReadMedian: round(median(wall)),
      plugToLearnedMsMedian: round(median(latencies)),
    }),
  );
} finally {
  await sw.close();
  await sim.close();
}
