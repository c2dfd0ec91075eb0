import { describeSwitchDriverConformance } from "@factory/core/testing";
import { describe } from "vitest";
import { createProcurveSwitch } from "../driver";
import { freeUdpPort } from "../test-support/snmpsim";
import { startProcurveSimulator } from "./simulator";

// The same shared suite the driver passes against snmpsimd, here against the in-process
// simulator: the driver's SNMP reads and trap listener meet the simulator's agent and traps.
// With v2c traps the tested ports are untagged in VLAN 100 (FDB id 2, as on a factory floor):
// arrival reads then walk that FDB id only; with v1 traps every port is in DEFAULT_VLAN.
describe("procurve driver against the ProCurve simulator", () => {
  for (const [version, vlan] of [
    ["2c", 100],
    ["1", 1],
  ] as const) {
    describeSwitchDriverConformance(
      `procurve SNMP v2c on the simulator, v${version} link traps, ports 21/22 in VLAN ${vlan}`,
      async () => {
        const trapPort = await freeUdpPort();
        const sim = await startProcurveSimulator({
          community: "sim",
          trapTargets: [{ host: "127.0.0.1", port: trapPort, version }],
          vlans: { "21": vlan, "22": vlan },
        });
        const driver = createProcurveSwitch({
          host: sim.host,
          snmp: { port: sim.port, community: "sim", timeoutMs: 1000, retries: 1 },
          uplinks: ["24"],
          traps: { port: trapPort, address: "127.0.0.1" },
          timing: { pollIntervalMs: 1000 },
        });
        const uplinkMac = sim.ports().find((p) => p.port === "24")!.macs[0]!;
        return {
          driver,
          port: "21",
          otherPort: "22",
          uplink: { port: "24", mac: uplinkMac },
          learnMac: async (mac, port) => sim.learn(port, mac),
          forgetMac: async (mac) => sim.forget(mac),
          linkUp: async (port) => sim.setLink(port, true),
          linkDown: async (port) => sim.setLink(port, false),
          teardown: () => sim.close(),
        };
      },
      { eventTimeoutMs: 6000 },
    );
  }
});
