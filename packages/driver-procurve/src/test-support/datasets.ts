/**
 * Simulated switches, modelled on a ProCurve 2810-24G (J9021A, N.11 firmware): ports `1`…`24`,
 * trunk `Trk1` over ports 23–24 as the uplink, VLANs 1 (DEFAULT_VLAN), 100 (FACTORY) and 160
 * (MGMT) with FDB ids 1, 2, 3, so that an FDB id is not the VLAN id.
 */
import type { Row, SimFdbRow, SimInterface, SimSwitch } from "./snmprec";

export const SYS_DESCR_2810 =
  "ProCurve J9021A Switch 2810-24G, revision N.11.15, ROM N.10.01 (/sw/code/build/bass(ppne_swt))";
export const SYS_OID_2810 = "1.3.6.1.4.1.11.2.3.7.11.63";

/** The MACs the tests look for. */
export const MAC = {
  label: "00:1a:2b:3c:4d:5e", // unit on the labeling port 21
  debug: "00:1a:2b:3c:4d:60", // unit on the debug port 22
  port5: "00:1a:2b:00:00:05",
  /** Seen on access port 7 (VLAN 100) and behind the uplink (VLAN 1). */
  twice: "00:1a:2b:00:00:07",
  self: "00:21:f7:aa:bb:00",
  mgmt: "00:21:f7:aa:bb:01",
} as const;

export const TRUNK_IFINDEX = 289;

function ports2810(oper: (n: number) => 1 | 2): SimInterface[] {
  const ifs: SimInterface[] = [];
  for (let n = 1; n <= 24; n++) ifs.push({ ifIndex: n, name: String(n), type: 6, oper: oper(n) });
  ifs.push({ ifIndex: TRUNK_IFINDEX, name: "Trk1", type: 161, oper: 1 });
  ifs.push({ ifIndex: 313, name: "DEFAULT_VLAN", type: 53, oper: 1 });
  ifs.push({ ifIndex: 412, name: "FACTORY", type: 53, oper: 1 });
  ifs.push({ ifIndex: 472, name: "MGMT", type: 53, oper: 1 });
  const alias: Record<number, string> = { 21: "labeling", 22: "debug" };
  return ifs.map((i) => (alias[i.ifIndex] ? { ...i, alias: alias[i.ifIndex]! } : i));
}

/** Uplink MACs: `count` hosts behind Trk1 spread over VLANs 1 and 160. */
export function uplinkMacs(count: number, bridgePort: number): SimFdbRow[] {
  return Array.from({ length: count }, (_, i) => ({
    mac: `00:50:56:${((i >> 16) & 0xff).toString(16).padStart(2, "0")}:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
    bridgePort,
    fdbId: i % 2 === 0 ? 1 : 3,
  }));
}

function fdb2810(): SimFdbRow[] {
  return [
    { mac: MAC.label, bridgePort: 21, fdbId: 2 },
    { mac: MAC.debug, bridgePort: 22, fdbId: 2 },
    { mac: MAC.port5, bridgePort: 5, fdbId: 2 },
    { mac: MAC.twice, bridgePort: 7, fdbId: 2 },
    { mac: MAC.twice, bridgePort: TRUNK_IFINDEX, fdbId: 1 },
    { mac: MAC.self, bridgePort: 0, fdbId: 1, status: 4 },
    { mac: MAC.mgmt, bridgePort: 3, fdbId: 3, status: 5 },
    ...uplinkMacs(40, TRUNK_IFINDEX),
  ];
}

const VLANS = [
  { vid: 1, fdbId: 1 },
  { vid: 100, fdbId: 2 },
  { vid: 160, fdbId: 3 },
];

const bridgePorts2810: Array<[number, number]> = [
  ...Array.from({ length: 22 }, (_, i): [number, number] => [i + 1, i + 1]),
  [TRUNK_IFINDEX, TRUNK_IFINDEX],
];

/** KA/YA-style: answers Q-BRIDGE-MIB only. Links up on 5, 7, 21, 22 and the trunk. */
export const procurve2810QBridge: SimSwitch = {
  sysDescr: SYS_DESCR_2810,
  sysObjectId: SYS_OID_2810,
  sysName: "ProCurve-2810",
  interfaces: ports2810((n) => ([5, 7, 21, 22, 23, 24].includes(n) ? 1 : 2)),
  bridgePorts: bridgePorts2810,
  vlans: VLANS,
  fdb: fdb2810(),
  fdbMibs: ["q-bridge"],
  arp: [
    { ifIndex: 412, ip: "10.0.100.21", mac: MAC.label },
    { ifIndex: 412, ip: "10.0.100.22", mac: MAC.debug },
    { ifIndex: 412, ip: "10.0.100.99", mac: "00:1a:2b:00:00:99", type: 2 },
  ],
};

/**
 * BRIDGE-MIB only, and bridge ports that are not ifIndexes (ifIndex = 100 + port), as on
 * switches that number interfaces per slot.
 */
export const procurve2810Bridge: SimSwitch = {
  ...procurve2810QBridge,
  sysName: "ProCurve-2810-bridge",
  interfaces: procurve2810QBridge.interfaces.map((i) =>
    i.type === 6 ? { ...i, ifIndex: 100 + i.ifIndex } : i,
  ),
  bridgePorts: bridgePorts2810.map(([bp, ifi]) => [bp, ifi === TRUNK_IFINDEX ? ifi : 100 + ifi]),
  fdb: fdb2810().filter((r) => r.fdbId !== 1 || r.mac !== MAC.twice),
  fdbMibs: ["bridge"],
};

/** A device with no bridge MIB at all (a router, a misconfigured view). */
export const noBridge: SimSwitch = {
  ...procurve2810QBridge,
  sysName: "router",
  sysDescr: "Linux router 6.1",
  sysObjectId: "1.3.6.1.4.1.8072.3.2.10",
  fdbMibs: [],
  arp: [],
};

/** Q-BRIDGE rows with a bad value type and a short index next to a good row. */
export const malformed: SimSwitch = {
  ...procurve2810QBridge,
  sysName: "malformed",
  fdb: [{ mac: MAC.label, bridgePort: 21, fdbId: 2 }],
  extra: [
    ["1.3.6.1.2.1.17.7.1.2.2.1.2.2.0.26.43.0.0.9", "4", "twenty-one"],
    ["1.3.6.1.2.1.17.7.1.2.2.1.2.2.0.26.43.0.0", "2", "21"],
  ] satisfies Row[],
};

/** Ports 1–48 + Trk1, 2000 FDB entries: 47 access ports with a few MACs, the rest on the uplink. */
export function big48(entries = 2000): SimSwitch {
  const interfaces: SimInterface[] = [];
  for (let n = 1; n <= 48; n++) interfaces.push({ ifIndex: n, name: String(n), type: 6, oper: 1 });
  interfaces.push({ ifIndex: TRUNK_IFINDEX, name: "Trk1", type: 161, oper: 1 });
  const access: SimFdbRow[] = [];
  for (let n = 1; n <= 46; n++) {
    for (let k = 0; k < 2; k++)
      access.push({ mac: `00:1b:00:00:${n.toString(16).padStart(2, "0")}:0${k}`, bridgePort: n, fdbId: 2 });
  }
  return {
    sysDescr:
      "ProCurve J9022A Switch 2810-48G, revision N.11.15, ROM N.10.01 (/sw/code/build/bass(ppne_swt))",
    sysObjectId: "1.3.6.1.4.1.11.2.3.7.11.64",
    sysName: "ProCurve-2810-48",
    interfaces,
    bridgePorts: [
      ...Array.from({ length: 46 }, (_, i): [number, number] => [i + 1, i + 1]),
      [TRUNK_IFINDEX, TRUNK_IFINDEX],
    ],
    vlans: VLANS,
    fdb: [...access, ...uplinkMacs(entries - access.length, TRUNK_IFINDEX)],
    fdbMibs: ["q-bridge"],
  };
}

/** Like the 2810 Q-BRIDGE set, but the FDB and ifOperStatus come from SQLite tables (`fdb`, `ifoper`). */
export function live(): SimSwitch {
  return {
    ...procurve2810QBridge,
    sysName: "ProCurve-2810-live",
    sqlSubtrees: [
      { oid: "1.3.6.1.2.1.2.2.1.8", table: "ifoper" },
      { oid: "1.3.6.1.2.1.17.7.1.2.2", table: "fdb" },
    ],
  };
}
