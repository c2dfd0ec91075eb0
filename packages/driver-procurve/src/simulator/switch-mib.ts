import { FdbStatus } from "../oids";
import { parseOid, Tag } from "./ber";
import type { SnmpValue } from "./message";
import type { MibStore } from "./mib-store";
import type { SimulatedModel } from "./models";

/** One front port of the simulated switch. Bridge port = ifIndex = port number, as on ProCurve. */
export interface SimPortState {
  name: string;
  ifIndex: number;
  up: boolean;
  uplink: boolean;
  /** Untagged VLAN id (dot1qPvid): the VLAN, and so the FDB, its hosts' MACs are learned in. */
  vlan: number;
  /** sysUpTime (centiseconds) of the last link change. */
  lastChange: number;
  /** Learned MACs (`aa:bb:…`), oldest first; uplinks also hold the hosts behind them. */
  macs: string[];
}

export interface SimSwitchState {
  model: SimulatedModel;
  /** The switch's own MAC: ports take base + port number, the VLAN interface the base. */
  baseMac: readonly number[];
  ports: SimPortState[];
  /** FDB id of each VLAN (dot1qVlanFdbId), DEFAULT_VLAN first with FDB id 1. */
  fdbIds: ReadonlyMap<number, number>;
  /** ARP cache of the management VLAN interface: IPv4 → MAC. */
  arp: Map<string, string>;
  /** sysUpTime now, centiseconds. */
  upTime(): number;
}

/** ifIndex of the DEFAULT_VLAN interface (ProCurve numbers VLAN interfaces after the ports). */
export const VLAN_IFINDEX = 313;
/** FDB id and VLAN id of DEFAULT_VLAN. */
export const DEFAULT_VLAN = 1;

const o = (text: string): number[] => parseOid(text);
const SYSTEM = o("1.3.6.1.2.1.1");
const IF_NUMBER = o("1.3.6.1.2.1.2.1");
const IF_ENTRY = o("1.3.6.1.2.1.2.2.1");
const IFX_ENTRY = o("1.3.6.1.2.1.31.1.1.1");
const ARP_ENTRY = o("1.3.6.1.2.1.4.22.1");
const BRIDGE_BASE = o("1.3.6.1.2.1.17.1");
const BASE_PORT_ENTRY = o("1.3.6.1.2.1.17.1.4.1");
const TP_FDB_ENTRY = o("1.3.6.1.2.1.17.4.3.1");
const Q_FDB_ENTRY = o("1.3.6.1.2.1.17.7.1.2.2.1");
const Q_VLAN_CURRENT_ENTRY = o("1.3.6.1.2.1.17.7.1.4.2.1");
const Q_PORT_VLAN_ENTRY = o("1.3.6.1.2.1.17.7.1.4.5.1");

/** Column numbers per table, declared as object types so GET can say noSuchInstance. */
const COLUMNS: Array<[readonly number[], readonly number[]]> = [
  [SYSTEM, [1, 2, 3, 4, 5, 6, 7]],
  [o("1.3.6.1.2.1.2"), [1]],
  [IF_ENTRY, [1, 2, 3, 4, 5, 6, 7, 8, 9]],
  [IFX_ENTRY, [1, 15, 18]],
  [ARP_ENTRY, [1, 2, 3, 4]],
  [BRIDGE_BASE, [1, 2, 3]],
  [BASE_PORT_ENTRY, [1, 2]],
  [TP_FDB_ENTRY, [1, 2, 3]],
  [Q_FDB_ENTRY, [2, 3]],
  [Q_VLAN_CURRENT_ENTRY, [3]],
  [Q_PORT_VLAN_ENTRY, [1]],
];

const int = (value: number): SnmpValue => ({ type: Tag.Integer, value });
const str = (value: string | Buffer): SnmpValue => ({
  type: Tag.OctetString,
  value: typeof value === "string" ? Buffer.from(value, "utf8") : value,
});
const gauge = (value: number): SnmpValue => ({ type: Tag.Gauge32, value });
const ticks = (value: number): SnmpValue => ({ type: Tag.TimeTicks, value });

/** MAC text → its six octets. */
export function macOctets(mac: string): number[] {
  return mac.split(":").map((h) => Number.parseInt(h, 16));
}

/** Declares every object type the simulated switch implements. Call once per store. */
export function defineSwitchObjects(mib: MibStore): void {
  for (const [prefix, columns] of COLUMNS) for (const c of columns) mib.defineObject([...prefix, c]);
}

/**
 * FDB ids of the VLANs in use: DEFAULT_VLAN (always there) gets 1, the others 2, 3, … in
 * increasing VLAN id order. As on ProCurve, an FDB id is not the VLAN id (PROTOCOLS.md §5.2).
 */
export function assignFdbIds(vlans: Iterable<number>): Map<number, number> {
  const out = new Map([[DEFAULT_VLAN, 1]]);
  for (const vid of [...new Set(vlans)].sort((a, b) => a - b)) {
    if (!out.has(vid)) out.set(vid, out.size + 1);
  }
  return out;
}

/** The FDB id a port's hosts are learned in: that of its untagged VLAN. */
export function fdbIdOf(state: SimSwitchState, port: SimPortState): number {
  return state.fdbIds.get(port.vlan) ?? 1;
}

/**
 * Writes the whole MIB view of `state` into `mib` (replacing what was there): system group,
 * IF-MIB ifTable/ifXTable, BRIDGE-MIB base and TpFdb tables, Q-BRIDGE TpFdb (each MAC under the
 * FDB id of its port's VLAN), VLAN FDB ids and port PVIDs, and ipNetToMediaTable. Later changes go through {@link setPortLink}, {@link setFdbEntry} and
 * {@link setArpEntry}, which touch only their rows.
 */
export function renderSwitchMib(state: SimSwitchState, mib: MibStore): void {
  mib.clear();
  const { model } = state;
  const scalar = (prefix: readonly number[], n: number, v: SnmpValue | (() => SnmpValue)): void =>
    mib.set([...prefix, n, 0], v);
  scalar(SYSTEM, 1, str(model.sysDescr));
  scalar(SYSTEM, 2, { type: Tag.Oid, value: parseOid(model.sysObjectId) });
  scalar(SYSTEM, 3, () => ticks(state.upTime()));
  scalar(SYSTEM, 4, str(""));
  scalar(SYSTEM, 5, str(model.sysName));
  scalar(SYSTEM, 6, str(""));
  scalar(SYSTEM, 7, int(2)); // layer 2 (bridge)
  mib.set([...IF_NUMBER, 0], int(state.ports.length + 1));

  const base = Buffer.from(state.baseMac);
  const interfaces = [
    ...state.ports.map((p) => ({
      ifIndex: p.ifIndex,
      name: p.name,
      type: 6,
      mtu: 1500,
      speed: model.speedMbps(p.ifIndex),
      mac: portMac(state.baseMac, p.ifIndex),
    })),
    {
      ifIndex: VLAN_IFINDEX,
      name: "DEFAULT_VLAN",
      type: 53,
      mtu: 1500,
      speed: 0,
      mac: base,
    },
  ];
  for (const i of interfaces) {
    const row = (col: number, v: SnmpValue): void => mib.set([...IF_ENTRY, col, i.ifIndex], v);
    row(1, int(i.ifIndex));
    row(2, str(i.name));
    row(3, int(i.type));
    row(4, int(i.mtu));
    row(5, gauge(Math.min(i.speed * 1_000_000, 0xffffffff)));
    row(6, str(i.mac));
    row(7, int(1));
    const xrow = (col: number, v: SnmpValue): void => mib.set([...IFX_ENTRY, col, i.ifIndex], v);
    xrow(1, str(i.name));
    xrow(15, gauge(i.speed));
    xrow(18, str(""));
  }
  for (const p of state.ports) setPortLink(mib, p);
  setLink(mib, VLAN_IFINDEX, true, 0);

  scalar(BRIDGE_BASE, 1, str(base));
  scalar(BRIDGE_BASE, 2, int(state.ports.length));
  scalar(BRIDGE_BASE, 3, int(2)); // transparent-only
  for (const p of state.ports) {
    mib.set([...BASE_PORT_ENTRY, 1, p.ifIndex], int(p.ifIndex));
    mib.set([...BASE_PORT_ENTRY, 2, p.ifIndex], int(p.ifIndex));
  }

  setFdbEntry(mib, macText(state.baseMac), 1, { port: 0, status: FdbStatus.self });
  for (const p of state.ports) {
    for (const m of p.macs) setFdbEntry(mib, m, fdbIdOf(state, p), { port: p.ifIndex });
  }
  // dot1qVlanFdbId is indexed TimeMark(0).VlanIndex; dot1qPvid by bridge port (= ifIndex here).
  for (const [vid, fdbId] of state.fdbIds) mib.set([...Q_VLAN_CURRENT_ENTRY, 3, 0, vid], gauge(fdbId));
  for (const p of state.ports) mib.set([...Q_PORT_VLAN_ENTRY, 1, p.ifIndex], gauge(p.vlan));
  for (const [ip, mac] of state.arp) setArpEntry(mib, ip, mac);
}

/** ifOperStatus and ifLastChange of a port, after its link changed. */
export function setPortLink(mib: MibStore, port: SimPortState): void {
  setLink(mib, port.ifIndex, port.up, port.lastChange);
}

function setLink(mib: MibStore, ifIndex: number, up: boolean, lastChange: number): void {
  mib.set([...IF_ENTRY, 8, ifIndex], int(up ? 1 : 2));
  mib.set([...IF_ENTRY, 9, ifIndex], ticks(lastChange));
}

/**
 * The FDB rows of one MAC in BRIDGE-MIB (indexed by MAC) and in Q-BRIDGE-MIB (indexed
 * fdbId.MAC): learned on bridge port `port` in filtering database `fdbId`, or removed from it
 * with `undefined`. A MAC moving to another FDB id is removed from the old one first.
 */
export function setFdbEntry(
  mib: MibStore,
  mac: string,
  fdbId: number,
  entry: { port: number; status?: number } | undefined,
): void {
  const octets = macOctets(mac);
  const oids = {
    address: [...TP_FDB_ENTRY, 1, ...octets],
    port: [...TP_FDB_ENTRY, 2, ...octets],
    status: [...TP_FDB_ENTRY, 3, ...octets],
    qPort: [...Q_FDB_ENTRY, 2, fdbId, ...octets],
    qStatus: [...Q_FDB_ENTRY, 3, fdbId, ...octets],
  };
  if (!entry) {
    for (const oid of Object.values(oids)) mib.delete(oid);
    return;
  }
  const status = int(entry.status ?? FdbStatus.learned);
  mib.set(oids.address, str(Buffer.from(octets)));
  mib.set(oids.port, int(entry.port));
  mib.set(oids.status, status);
  mib.set(oids.qPort, int(entry.port));
  mib.set(oids.qStatus, status);
}

/** An ipNetToMediaTable row on the VLAN interface (dynamic), or its removal with `undefined`. */
export function setArpEntry(mib: MibStore, ip: string, mac: string | undefined): void {
  const addr = ip.split(".").map(Number);
  const idx = [VLAN_IFINDEX, ...addr];
  if (!mac) {
    for (const col of [1, 2, 3, 4]) mib.delete([...ARP_ENTRY, col, ...idx]);
    return;
  }
  mib.set([...ARP_ENTRY, 1, ...idx], int(VLAN_IFINDEX));
  mib.set([...ARP_ENTRY, 2, ...idx], str(Buffer.from(macOctets(mac))));
  mib.set([...ARP_ENTRY, 3, ...idx], { type: Tag.IpAddress, value: addr });
  mib.set([...ARP_ENTRY, 4, ...idx], int(3)); // dynamic
}

function macText(octets: readonly number[]): string {
  return octets.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** The MAC of port `n`: the base MAC plus n in its last octets. */
export function portMac(base: readonly number[], n: number): Buffer {
  const out = Buffer.from(base);
  let carry = n;
  for (let i = 5; i >= 0 && carry > 0; i--) {
    const sum = out[i]! + carry;
    out[i] = sum & 0xff;
    carry = sum >> 8;
  }
  return out;
}
