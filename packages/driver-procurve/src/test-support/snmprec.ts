/**
 * Builds snmpsim `.snmprec` data (one `OID|TAG|VALUE` line per object, sorted by OID) for a
 * simulated switch. Used to write the committed data sets and the generated large ones.
 */
import { compareOids } from "../snmp/client";

export interface SimInterface {
  ifIndex: number;
  name: string;
  descr?: string;
  alias?: string;
  /** ifType: 6 ethernet, 161 trunk, 53 VLAN. */
  type: number;
  oper: 1 | 2;
}

export interface SimFdbRow {
  mac: string;
  bridgePort: number;
  /** Q-BRIDGE filtering database id. */
  fdbId: number;
  /** 3 learned (default), 4 self, 5 mgmt. */
  status?: number;
}

export interface SimSwitch {
  sysDescr: string;
  sysObjectId: string;
  sysName: string;
  interfaces: SimInterface[];
  /** bridge port → ifIndex. */
  bridgePorts: Array<[number, number]>;
  /** VLAN id → FDB id (dot1qVlanFdbId). */
  vlans: Array<{ vid: number; fdbId: number }>;
  fdb: SimFdbRow[];
  /** Which FDB tables the agent answers. */
  fdbMibs: Array<"q-bridge" | "bridge">;
  arp?: Array<{ ifIndex: number; ip: string; mac: string; type?: number }>;
  /** Subtrees served from SQLite tables by snmpsim's sql variation module, instead of rows. */
  sqlSubtrees?: Array<{ oid: string; table: string }>;
  /** Extra raw rows `[oid, tag, value]`. */
  extra?: Array<[string, string, string]>;
}

export type Row = [oid: string, tag: string, value: string];

const macOid = (mac: string): string =>
  mac
    .split(":")
    .map((h) => Number.parseInt(h, 16))
    .join(".");

/** All rows of the switch, unsorted. */
export function switchRows(sw: SimSwitch): Row[] {
  const rows: Row[] = [
    ["1.3.6.1.2.1.1.1.0", "4", sw.sysDescr],
    ["1.3.6.1.2.1.1.2.0", "6", sw.sysObjectId],
    ["1.3.6.1.2.1.1.3.0", "67", "123456"],
    ["1.3.6.1.2.1.1.5.0", "4", sw.sysName],
    ["1.3.6.1.2.1.2.1.0", "2", String(sw.interfaces.length)],
  ];
  const sql = new Set((sw.sqlSubtrees ?? []).map((s) => s.oid));
  for (const i of sw.interfaces) {
    rows.push([`1.3.6.1.2.1.2.2.1.1.${i.ifIndex}`, "2", String(i.ifIndex)]);
    rows.push([`1.3.6.1.2.1.2.2.1.2.${i.ifIndex}`, "4", i.descr ?? i.name]);
    rows.push([`1.3.6.1.2.1.2.2.1.3.${i.ifIndex}`, "2", String(i.type)]);
    rows.push([`1.3.6.1.2.1.2.2.1.7.${i.ifIndex}`, "2", "1"]);
    if (!sql.has("1.3.6.1.2.1.2.2.1.8")) rows.push([`1.3.6.1.2.1.2.2.1.8.${i.ifIndex}`, "2", String(i.oper)]);
    rows.push([`1.3.6.1.2.1.31.1.1.1.1.${i.ifIndex}`, "4", i.name]);
    rows.push([`1.3.6.1.2.1.31.1.1.1.18.${i.ifIndex}`, "4", i.alias ?? ""]);
  }
  if (sw.fdbMibs.length > 0) {
    rows.push(["1.3.6.1.2.1.17.1.2.0", "2", String(sw.bridgePorts.length)]);
    for (const [bp, ifIndex] of sw.bridgePorts)
      rows.push([`1.3.6.1.2.1.17.1.4.1.2.${bp}`, "2", String(ifIndex)]);
  }
  if (sw.fdbMibs.includes("bridge")) {
    for (const r of sw.fdb) {
      const idx = macOid(r.mac);
      rows.push([`1.3.6.1.2.1.17.4.3.1.1.${idx}`, "4x", r.mac.replaceAll(":", "")]);
      rows.push([`1.3.6.1.2.1.17.4.3.1.2.${idx}`, "2", String(r.bridgePort)]);
      rows.push([`1.3.6.1.2.1.17.4.3.1.3.${idx}`, "2", String(r.status ?? 3)]);
    }
  }
  if (sw.fdbMibs.includes("q-bridge")) {
    if (!sql.has("1.3.6.1.2.1.17.7.1.2.2")) rows.push(...qBridgeFdbRows(sw.fdb));
    for (const v of sw.vlans) rows.push([`1.3.6.1.2.1.17.7.1.4.2.1.3.0.${v.vid}`, "66", String(v.fdbId)]);
  }
  for (const a of sw.arp ?? []) {
    const idx = `${a.ifIndex}.${a.ip}`;
    rows.push([`1.3.6.1.2.1.4.22.1.1.${idx}`, "2", String(a.ifIndex)]);
    rows.push([`1.3.6.1.2.1.4.22.1.2.${idx}`, "4x", a.mac.replaceAll(":", "")]);
    rows.push([`1.3.6.1.2.1.4.22.1.3.${idx}`, "64", a.ip]);
    rows.push([`1.3.6.1.2.1.4.22.1.4.${idx}`, "2", String(a.type ?? 3)]);
  }
  for (const s of sw.sqlSubtrees ?? []) rows.push([s.oid, ":sql", s.table]);
  rows.push(...(sw.extra ?? []));
  // A row past everything we walk, so that walks end cleanly (PEERS.md §5).
  rows.push(["1.3.6.1.6.3.1.1.6.1.0", "2", "0"]);
  return rows;
}

/** dot1qTpFdbPort / dot1qTpFdbStatus rows (index fdbId.mac). */
export function qBridgeFdbRows(fdb: SimFdbRow[]): Row[] {
  return fdb.flatMap((r): Row[] => {
    const idx = `${r.fdbId}.${macOid(r.mac)}`;
    return [
      [`1.3.6.1.2.1.17.7.1.2.2.1.2.${idx}`, "2", String(r.bridgePort)],
      [`1.3.6.1.2.1.17.7.1.2.2.1.3.${idx}`, "2", String(r.status ?? 3)],
    ];
  });
}

/** The `.snmprec` text, sorted by OID. */
export function toSnmprec(rows: Row[]): string {
  return `${[...rows]
    .sort((a, b) => compareOids(a[0], b[0]))
    .map((r) => r.join("|"))
    .join("\n")}\n`;
}

/** snmpsim's sql module key: every sub-identifier right-aligned in 10 characters. */
export function sqlOid(oid: string): string {
  return oid
    .split(".")
    .map((x) => x.padStart(10, " "))
    .join(".");
}
