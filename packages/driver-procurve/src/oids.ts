/** Numeric OIDs this driver reads (no MIB files are needed). See PROTOCOLS.md §5.2. */
export const Oid = {
  sysDescr: "1.3.6.1.2.1.1.1.0",
  sysObjectID: "1.3.6.1.2.1.1.2.0",
  sysUpTime: "1.3.6.1.2.1.1.3.0",
  sysName: "1.3.6.1.2.1.1.5.0",
  ifIndex: "1.3.6.1.2.1.2.2.1.1",
  ifDescr: "1.3.6.1.2.1.2.2.1.2",
  ifType: "1.3.6.1.2.1.2.2.1.3",
  ifAdminStatus: "1.3.6.1.2.1.2.2.1.7",
  ifOperStatus: "1.3.6.1.2.1.2.2.1.8",
  ifName: "1.3.6.1.2.1.31.1.1.1.1",
  ifAlias: "1.3.6.1.2.1.31.1.1.1.18",
  ipNetToMediaPhysAddress: "1.3.6.1.2.1.4.22.1.2",
  ipNetToMediaType: "1.3.6.1.2.1.4.22.1.4",
  ipNetToPhysicalPhysAddress: "1.3.6.1.2.1.4.35.1.4",
  ipNetToPhysicalType: "1.3.6.1.2.1.4.35.1.6",
  dot1dBaseNumPorts: "1.3.6.1.2.1.17.1.2.0",
  dot1dBasePortIfIndex: "1.3.6.1.2.1.17.1.4.1.2",
  dot1dTpFdbPort: "1.3.6.1.2.1.17.4.3.1.2",
  dot1dTpFdbStatus: "1.3.6.1.2.1.17.4.3.1.3",
  dot1qTpFdbPort: "1.3.6.1.2.1.17.7.1.2.2.1.2",
  dot1qTpFdbStatus: "1.3.6.1.2.1.17.7.1.2.2.1.3",
  dot1qVlanFdbId: "1.3.6.1.2.1.17.7.1.4.2.1.3",
  dot1qPvid: "1.3.6.1.2.1.17.7.1.4.5.1.1",
  snmpTrapOID: "1.3.6.1.6.3.1.1.4.1.0",
  linkDown: "1.3.6.1.6.3.1.1.5.3",
  linkUp: "1.3.6.1.6.3.1.1.5.4",
} as const;

/** dot1dTpFdbStatus / dot1qTpFdbStatus values. */
export const FdbStatus = { other: 1, invalid: 2, learned: 3, self: 4, mgmt: 5 } as const;

/** ifType values that matter here. */
export const IfType = { ethernet: 6, gigabit: 117, fastEther: 62, lag: 161, vlan: 53, loopback: 24 } as const;

/** Models by sysObjectID under hpEtherSwitch (1.3.6.1.4.1.11.2.3.7.11) and hpStack. */
export const HP_MODELS: Readonly<Record<string, string>> = {
  "1.3.6.1.4.1.11.2.3.7.11.61": "2510-24",
  "1.3.6.1.4.1.11.2.3.7.11.62": "2510-48",
  "1.3.6.1.4.1.11.2.3.7.11.63": "2810-24G (J9021A)",
  "1.3.6.1.4.1.11.2.3.7.11.64": "2810-48G (J9022A)",
  "1.3.6.1.4.1.11.2.3.7.11.68": "2900-48G",
  "1.3.6.1.4.1.11.2.3.7.11.69": "2900-24G",
  "1.3.6.1.4.1.11.2.3.7.11.137": "2530-24G-PoEP (J9773A)",
  "1.3.6.1.4.1.11.2.3.7.11.139": "2530-48G (J9775A)",
  "1.3.6.1.4.1.11.2.3.7.8.5.2": "HP stack",
};
