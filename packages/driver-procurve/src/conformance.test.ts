import { describeSwitchDriverConformance, requirePeer } from "@factory/core/testing";
import { describe } from "vitest";
import { createProcurveSwitch } from "./driver";
import { live } from "./test-support/datasets";
import { qBridgeFdbRows, type Row, switchRows, toSnmprec } from "./test-support/snmprec";
import { freeUdpPort, SNMPSIM_PEER, sendLinkTrap, startSnmpsim } from "./test-support/snmpsim";

const hasSim = requirePeer(SNMPSIM_PEER);
const FDB_ID = 2; // VLAN 100
const ifOperRow = (ifIndex: number, up: boolean): Row => [
  `1.3.6.1.2.1.2.2.1.8.${ifIndex}`,
  "2",
  up ? "1" : "2",
];
const macOid = (mac: string): string =>
  mac
    .split(":")
    .map((h) => Number.parseInt(h, 16))
    .join(".");

describe.runIf(hasSim)("procurve over SNMP (snmpsimd, link traps from snmptrap)", () => {
  for (const trapVersion of ["2c", "1"] as const) {
    describeSwitchDriverConformance(
      `procurve SNMP v2c, ${trapVersion === "1" ? "v1" : "v2c"} traps`,
      async () => {
        const sw = live();
        const sim = await startSnmpsim(
          { live: toSnmprec(switchRows(sw)) },
          {
            fdb: qBridgeFdbRows(sw.fdb),
            ifoper: sw.interfaces.map((i) => ifOperRow(i.ifIndex, i.oper === 1)),
          },
        );
        const trapPort = await freeUdpPort();
        const driver = createProcurveSwitch({
          host: "127.0.0.1",
          snmp: { port: sim.port, community: "live", timeoutMs: 1000, retries: 1 },
          traps: { port: trapPort, address: "127.0.0.1" },
          timing: { pollIntervalMs: 1000 },
        });
        const fdbRows = (mac: string, port: number): Row[] =>
          qBridgeFdbRows([{ mac, bridgePort: port, fdbId: FDB_ID }]);
        const link = async (port: string, up: boolean): Promise<void> => {
          sim.update("ifoper", [ifOperRow(Number(port), up)]);
          sendLinkTrap({
            port: trapPort,
            community: "live",
            kind: up ? "link-up" : "link-down",
            ifIndex: Number(port),
            version: trapVersion,
          });
        };
        return {
          driver,
          port: "21",
          otherPort: "22",
          uplink: { port: "Trk1", mac: "00:50:56:00:00:00" },
          learnMac: async (mac, port) => sim.update("fdb", fdbRows(mac, Number(port))),
          forgetMac: async (mac) =>
            sim.update(
              "fdb",
              [],
              [2, 3].map((col) => `1.3.6.1.2.1.17.7.1.2.2.1.${col}.${FDB_ID}.${macOid(mac)}`),
            ),
          linkUp: (port) => link(port, true),
          linkDown: (port) => link(port, false),
          teardown: () => sim.stop(),
        };
      },
      { eventTimeoutMs: 6000 },
    );
  }
});
