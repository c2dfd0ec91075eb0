/**
 * `pnpm bench switch`: trap → event latency, a 2,000-entry FDB read, and what an arrival read
 * after a link up costs (the port's VLAN subtree against the whole FDB: SNMP requests and
 * varbinds, which do not depend on the machine's load), against the real snmpsimd with link
 * traps from the real snmptrap. Prints figures; the last line is JSON.
 */
import { performance } from "node:perf_hooks";
import type { SwitchEvent } from "@factory/core";
import snmp from "net-snmp";
import { createProcurveSwitch } from "../src/driver";
import { SnmpClient } from "../src/snmp/client";
import { readFdb } from "../src/snmp/fdb";
import { readFdbOfIds } from "../src/snmp/port-fdb";
import { big48, MAC, procurve2810QBridge, TRUNK_IFINDEX } from "../src/test-support/datasets";
import { type Row, type SimSwitch, switchRows, toSnmprec } from "../src/test-support/snmprec";
import { freeUdpPort, sendLinkTrap, startSnmpsim } from "../src/test-support/snmpsim";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const POLL_MS = 2000;

/** Access ports untagged in VLAN 100 (dot1qPvid), the trunk in VLAN 1. */
const withPvids = (sw: SimSwitch): SimSwitch => ({
  ...sw,
  extra: [
    ...(sw.extra ?? []),
    ...sw.bridgePorts.map(
      ([bp, ifIndex]): Row => [
        `1.3.6.1.2.1.17.7.1.4.5.1.1.${bp}`,
        "66",
        ifIndex === TRUNK_IFINDEX ? "1" : "100",
      ],
    ),
  ],
});
const sim = await startSnmpsim({
  qbridge: toSnmprec(switchRows(withPvids(procurve2810QBridge))),
  big48: toSnmprec(switchRows(withPvids(big48(2000)))),
});
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number): number => Math.round(x * 10) / 10;

try {
  // 1. 2,000-entry FDB read (48 ports + trunk), warm agent.
  const big = createProcurveSwitch({ host: "127.0.0.1", snmp: { port: sim.port, community: "big48" } });
  await big.macsOnPort("1"); // warms the port map and the agent's index
  const reads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const trunk = await big.macsOnPort("Trk1");
    reads.push(performance.now() - t);
    if (trunk.length !== 2000 - 92) throw new Error(`read ${trunk.length} trunk entries`);
  }
  await big.close();
  console.log(
    `FDB read, 2000 entries: median ${round(pct(reads, 50))} ms, max ${round(Math.max(...reads))} ms`,
  );

  // 1b. Arrival read after a link up: VLAN 100's subtree (92 rows) against the whole FDB.
  const session = snmp.createSession("127.0.0.1", "big48", { port: sim.port, version: snmp.Version2c });
  const wire = { requests: 0, varbinds: 0 };
  const getBulk = session.getBulk.bind(session) as (...a: unknown[]) => void;
  (session as unknown as { getBulk: unknown }).getBulk = (
    oids: string[],
    nonRepeaters: number,
    maxRepetitions: number,
    cb: (e: Error | null, vbs?: unknown[]) => void,
  ) => {
    wire.requests++;
    getBulk(oids, nonRepeaters, maxRepetitions, (e: Error | null, vbs?: unknown[]) => {
      wire.varbinds += (vbs ?? []).flat().length;
      cb(e, vbs);
    });
  };
  const client = new SnmpClient(
    { host: "127.0.0.1", port: sim.port, community: "big48" },
    undefined,
    session,
  );
  const measure = async (read: () => Promise<unknown>) => {
    const ms: number[] = [];
    const before = { ...wire };
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await read();
      ms.push(performance.now() - t);
    }
    return {
      ms: round(pct(ms, 50)),
      requests: (wire.requests - before.requests) / 5,
      varbinds: (wire.varbinds - before.varbinds) / 5,
    };
  };
  // The whole read as the driver does it between status refreshes: the port column only.
  const statusCache = { maxAgeMs: 60_000 };
  await readFdb(client, "q-bridge", undefined, statusCache);
  const wholeRead = await measure(() => readFdb(client, "q-bridge", undefined, statusCache));
  const portRead = await measure(() => readFdbOfIds(client, [2]));
  client.close();
  console.log(
    `arrival read, 2000-entry FDB: whole ${wholeRead.ms} ms (${wholeRead.requests} GETBULKs, ${wholeRead.varbinds} varbinds); port's VLAN subtree ${portRead.ms} ms (${portRead.requests} GETBULKs, ${portRead.varbinds} varbinds)`,
  );

  // 2. Link-up trap (snmptrap) → "mac-learned on 21" event (arrival read of the port's VLAN).
  const trapPort = await freeUdpPort();
  const sw = createProcurveSwitch({
    host: "127.0.0.1",
    snmp: { port: sim.port, community: "qbridge" },
    traps: { port: trapPort, address: "127.0.0.1" },
    timing: { pollIntervalMs: POLL_MS },
  });
  const controller = new AbortController();
  let waiter: ((e: SwitchEvent) => void) | undefined;
  const pump = (async () => {
    for await (const e of sw.watch({ ports: ["21"], signal: controller.signal })) waiter?.(e);
  })();
  const next = (pred: (e: SwitchEvent) => boolean): Promise<SwitchEvent> =>
    new Promise((resolve) => {
      waiter = (e) => {
        if (pred(e)) resolve(e);
      };
    });
  await next((e) => e.type === "health" && e.ok);
  const latencies: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const arrived = next((e) => e.type === "mac-learned" && e.mac === MAC.label);
    const t = performance.now();
    sendLinkTrap({ port: trapPort, community: "qbridge", kind: "link-up", ifIndex: 21 });
    await arrived;
    latencies.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  controller.abort();
  await pump;
  await sw.close();
  console.log(
    `trap → mac-learned (${ROUNDS} rounds, snmptrap process start included): p50 ${round(pct(latencies, 50))} ms, p95 ${round(pct(latencies, 95))} ms`,
  );

  // 3. Polling only: link up seen by the poll, MAC reported.
  const polled = createProcurveSwitch({
    host: "127.0.0.1",
    snmp: { port: sim.port, community: "qbridge" },
    timing: { pollIntervalMs: POLL_MS },
  });
  const c2 = new AbortController();
  const t0 = performance.now();
  let firstPoll = 0;
  for await (const e of polled.watch({ signal: c2.signal })) {
    if (e.type === "health") {
      firstPoll = performance.now() - t0;
      c2.abort();
    }
  }
  await polled.close();
  console.log(
    `polling mode: baseline ready in ${round(firstPoll)} ms; worst case arrival = poll interval ${POLL_MS} ms + one read`,
  );

  console.log(
    JSON.stringify({
      trap_to_event_ms_p50: round(pct(latencies, 50)),
      trap_to_event_ms_p95: round(pct(latencies, 95)),
      fdb_2000_read_ms: round(pct(reads, 50)),
      fdb_2000_read_ms_max: round(Math.max(...reads)),
      arrival_read_whole_ms: wholeRead.ms,
      arrival_read_whole_varbinds: wholeRead.varbinds,
      arrival_read_port_ms: portRead.ms,
      arrival_read_port_varbinds: portRead.varbinds,
      poll_baseline_ms: round(firstPoll),
      poll_interval_ms: POLL_MS,
    }),
  );
} finally {
  await sim.stop();
}
