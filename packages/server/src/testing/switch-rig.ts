/**
 * A ProCurve 2810 simulated by the real snmpsimd (FDB and link state from SQLite tables, so they
 * change while a test runs) and units plugged into its ports with a real `snmptrap` link-up.
 * Used by the station end-to-end tests, the `factory label` test and `pnpm bench label`.
 */
import { performance } from "node:perf_hooks";
import {
  freeUdpPort,
  liveProcurve,
  qBridgeFdbRows,
  type Row,
  sendLinkTrap,
  startSnmpsim,
  switchRows,
  toSnmprec,
} from "./peers";

const FDB_ID = 2; // VLAN 100, the factory VLAN
const ifOper = (ifIndex: number, up: boolean): Row => [`1.3.6.1.2.1.2.2.1.8.${ifIndex}`, "2", up ? "1" : "2"];
const macOid = (mac: string) =>
  mac
    .split(":")
    .map((h) => Number.parseInt(h, 16))
    .join(".");

export interface SwitchRig {
  /** `stations.switch` for the server config: the procurve driver by package name. */
  driverRef: { driver: string; options: Record<string, unknown> };
  /**
   * Learns `mac` on `port`, raises the link and sends the link-up trap. Returns the
   * `performance.now()` just before the trap was sent (the start of a link-up latency).
   */
  plug(mac: string, port: string): number;
  /** Forgets `mac`, drops the link and sends the link-down trap. */
  unplug(mac: string, port: string): void;
  stop(): Promise<void>;
}

export async function startSwitchRig(options: { pollIntervalMs?: number } = {}): Promise<SwitchRig> {
  const base = liveProcurve();
  // The station ports start empty and down.
  const sw = {
    ...base,
    // Every access port untagged in VLAN 100 (dot1qPvid), as on the factory floor.
    extra: [
      ...(base.extra ?? []),
      ...base.bridgePorts.map(
        ([bp, ifIndex]): Row => [`1.3.6.1.2.1.17.7.1.4.5.1.1.${bp}`, "66", ifIndex === 289 ? "1" : "100"],
      ),
    ],
    fdb: base.fdb.filter((r) => r.bridgePort !== 21 && r.bridgePort !== 22),
    interfaces: base.interfaces.map((i) =>
      i.ifIndex === 21 || i.ifIndex === 22 ? { ...i, oper: 2 as const } : i,
    ),
  };
  const sim = await startSnmpsim(
    { live: toSnmprec(switchRows(sw)) },
    { fdb: qBridgeFdbRows(sw.fdb), ifoper: sw.interfaces.map((i) => ifOper(i.ifIndex, i.oper === 1)) },
  );
  const trapPort = await freeUdpPort();
  const trap = (port: string, up: boolean) =>
    sendLinkTrap({
      port: trapPort,
      community: "live",
      kind: up ? "link-up" : "link-down",
      ifIndex: Number(port),
    });
  return {
    driverRef: {
      driver: "@factory/driver-procurve",
      options: {
        host: "127.0.0.1",
        snmp: { port: sim.port, community: "live", timeoutMs: 1000, retries: 1 },
        traps: { port: trapPort, address: "127.0.0.1" },
        uplinks: ["Trk1"],
        timing: { pollIntervalMs: options.pollIntervalMs ?? 2000 },
      },
    },
    plug(mac, port) {
      sim.update("fdb", qBridgeFdbRows([{ mac, bridgePort: Number(port), fdbId: FDB_ID }]));
      sim.update("ifoper", [ifOper(Number(port), true)]);
      const sentAt = performance.now();
      trap(port, true);
      return sentAt;
    },
    unplug(mac, port) {
      sim.update(
        "fdb",
        [],
        [2, 3].map((col) => `1.3.6.1.2.1.17.7.1.2.2.1.${col}.${FDB_ID}.${macOid(mac)}`),
      );
      sim.update("ifoper", [ifOper(Number(port), false)]);
      trap(port, false);
    },
    stop: () => sim.stop(),
  };
}
