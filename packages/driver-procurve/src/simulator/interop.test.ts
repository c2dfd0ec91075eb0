import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { findCommand, requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeUdpPort } from "../test-support/snmpsim";
import { type ProcurveSimulator, startProcurveSimulator } from "./simulator";

const NET_SNMP_PEER = {
  name: "net-snmp command-line tools (snmpget, snmpwalk, snmpbulkwalk, snmptrapd)",
  commands: ["snmpget", "snmpwalk", "snmpbulkwalk", "snmptrapd"],
  install: "apt-get install snmp snmptrapd",
};
const hasTools = requirePeer(NET_SNMP_PEER);
const run = promisify(execFile);
const COMMUNITY = "interop";
const UNIT = { mac: "02:00:5e:10:00:21", ip: "10.0.0.21" };
const UNIT_INDEX = "2.0.94.16.0.33"; // the MAC as OID sub-identifiers

/** Runs a net-snmp tool (asynchronously: the simulator answers from this same process). */
async function tool(name: string, args: string[]): Promise<string[]> {
  const { stdout } = await run(findCommand(name) ?? name, args, {
    timeout: 20_000,
    env: { ...process.env, MIBS: "", MIBDIRS: "/nonexistent" },
  });
  return stdout.split("\n").filter((l) => l.trim() !== "");
}

describe.runIf(hasTools)("simulator interop with the net-snmp tools", () => {
  let sim: ProcurveSimulator;
  let target: string;
  let trapd: ChildProcess | undefined;
  let trapdOut = "";
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "procurve-sim-trapd-"));
    const trapPort = await freeUdpPort();
    writeFileSync(path.join(dir, "snmptrapd.conf"), `authCommunity log ${COMMUNITY}\n`);
    trapd = spawn(
      findCommand("snmptrapd")!,
      ["-f", "-Lo", "-n", "-On", "-C", "-c", path.join(dir, "snmptrapd.conf"), `127.0.0.1:${trapPort}`],
      { env: { ...process.env, SNMP_PERSISTENT_DIR: dir, MIBS: "", MIBDIRS: "/nonexistent" } },
    );
    trapd.stdout!.on("data", (d: Buffer) => {
      trapdOut += d.toString();
    });
    trapd.stderr!.on("data", (d: Buffer) => {
      trapdOut += d.toString();
    });
    const ready = Date.now() + 10_000;
    while (!/NET-SNMP version/.test(trapdOut) && Date.now() < ready)
      await new Promise((r) => setTimeout(r, 20));
    expect(trapdOut).toMatch(/NET-SNMP version/);

    sim = await startProcurveSimulator({
      community: COMMUNITY,
      learnDelayMs: 0,
      // The labeling port untagged in VLAN 100 (FDB id 2), port 5 in VLAN 160 (FDB id 3).
      vlans: { "21": 100, "5": 160 },
      trapTargets: [{ host: "127.0.0.1", port: trapPort }],
    });
    target = `127.0.0.1:${sim.port}`;
  });
  afterAll(async () => {
    if (trapd && trapd.exitCode === null) {
      const exited = new Promise((r) => trapd!.once("exit", r));
      trapd.kill("SIGTERM");
      await exited;
    }
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("snmpget reads the system group and says noSuchObject / noSuchInstance", async () => {
    const out = await tool("snmpget", [
      "-v2c",
      "-c",
      COMMUNITY,
      "-On",
      target,
      "1.3.6.1.2.1.1.1.0",
      "1.3.6.1.2.1.1.2.0",
      "1.3.6.1.2.1.1.5.0",
      "1.3.6.1.2.1.31.1.1.1.1.21",
      "1.3.6.1.2.1.2.2.1.8.99",
      "1.3.6.1.4.1.99.1.0",
    ]);
    expect(out).toEqual([
      '.1.3.6.1.2.1.1.1.0 = STRING: "ProCurve J9021A Switch 2810-24G, revision N.11.15, ROM N.10.01 (/sw/code/build/bass(ppne_swt))"',
      ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.11.2.3.7.11.63",
      '.1.3.6.1.2.1.1.5.0 = STRING: "ProCurve Switch 2810-24G"',
      '.1.3.6.1.2.1.31.1.1.1.1.21 = STRING: "21"',
      ".1.3.6.1.2.1.2.2.1.8.99 = No Such Instance currently exists at this OID",
      ".1.3.6.1.4.1.99.1.0 = No Such Object available on this agent at this OID",
    ]);
  });

  it("snmpwalk (v2c and v1) and snmpbulkwalk see the same whole MIB, in increasing order", async () => {
    const v2 = await tool("snmpwalk", ["-v2c", "-c", COMMUNITY, "-On", target, "1.3"]);
    const v1 = await tool("snmpwalk", ["-v1", "-c", COMMUNITY, "-On", target, "1.3"]);
    const bulk = await tool("snmpbulkwalk", ["-v2c", "-c", COMMUNITY, "-On", "-Cr25", target, "1.3"]);
    expect(v2.length).toBeGreaterThan(400); // 25 interfaces × 12 columns, FDB of the uplink, …
    // Each walk ends past the last object: endOfMibView on v2c, noSuchName on v1.
    expect(v2.at(-1)).toMatch(/No more variables left in this MIB View/);
    expect(bulk.at(-1)).toMatch(/No more variables left in this MIB View/);
    expect(v1.at(-1)).toBe("End of MIB");
    // snmpwalk checks that every OID increases (it stops with "OID not increasing" otherwise).
    const body = (lines: string[]) => lines.slice(0, -1).filter((l) => !l.startsWith(".1.3.6.1.2.1.1.3.0 "));
    expect(body(v1)).toEqual(body(v2));
    expect(body(bulk)).toEqual(body(v2));
    expect([...v1, ...v2, ...bulk].join("\n")).not.toMatch(/not increasing/i);
  });

  it("walks the FDB, the bridge port map and the ARP table and finds a plugged unit", async () => {
    sim.plug("21", UNIT);
    const fdb = await tool("snmpbulkwalk", [
      "-v2c",
      "-c",
      COMMUNITY,
      "-On",
      target,
      "1.3.6.1.2.1.17.7.1.2.2.1.2",
    ]);
    expect(fdb).toContain(`.1.3.6.1.2.1.17.7.1.2.2.1.2.2.${UNIT_INDEX} = INTEGER: 21`);
    const dot1d = await tool("snmpwalk", ["-v1", "-c", COMMUNITY, "-On", target, "1.3.6.1.2.1.17.4.3.1.2"]);
    expect(dot1d).toContain(`.1.3.6.1.2.1.17.4.3.1.2.${UNIT_INDEX} = INTEGER: 21`);
    const bridgePorts = await tool("snmpwalk", [
      "-v2c",
      "-c",
      COMMUNITY,
      "-On",
      target,
      "1.3.6.1.2.1.17.1.4.1.2",
    ]);
    expect(bridgePorts).toHaveLength(24);
    expect(bridgePorts).toContain(".1.3.6.1.2.1.17.1.4.1.2.21 = INTEGER: 21");
    const arp = await tool("snmpwalk", ["-v2c", "-c", COMMUNITY, "-On", target, "1.3.6.1.2.1.4.22.1.2"]);
    expect(arp).toEqual([".1.3.6.1.2.1.4.22.1.2.313.10.0.0.21 = Hex-STRING: 02 00 5E 10 00 21 "]);
    const oper = await tool("snmpget", ["-v2c", "-c", COMMUNITY, "-On", target, "1.3.6.1.2.1.2.2.1.8.21"]);
    expect(oper).toEqual([".1.3.6.1.2.1.2.2.1.8.21 = INTEGER: 1"]);
  });

  it("walks dot1qPvid, dot1qVlanFdbId and the FDB by FDB id in increasing order, v1, v2c and bulk alike", async () => {
    sim.plug("21", UNIT);
    sim.plug("5", { mac: "02:00:5e:10:00:05" });
    const pvid = await tool("snmpwalk", [
      "-v2c",
      "-c",
      COMMUNITY,
      "-On",
      target,
      "1.3.6.1.2.1.17.7.1.4.5.1.1",
    ]);
    expect(pvid).toHaveLength(24);
    expect(pvid).toContain(".1.3.6.1.2.1.17.7.1.4.5.1.1.21 = Gauge32: 100");
    expect(pvid).toContain(".1.3.6.1.2.1.17.7.1.4.5.1.1.5 = Gauge32: 160");
    expect(pvid.filter((l) => l.endsWith("Gauge32: 1"))).toHaveLength(22);
    const got = await tool("snmpget", [
      "-v1",
      "-c",
      COMMUNITY,
      "-On",
      target,
      "1.3.6.1.2.1.17.7.1.4.5.1.1.21",
    ]);
    expect(got).toEqual([".1.3.6.1.2.1.17.7.1.4.5.1.1.21 = Gauge32: 100"]);

    // The whole Q-BRIDGE subtree: small bulk steps cross FDB ids and tables mid-response.
    const qbridge = "1.3.6.1.2.1.17.7";
    const v1 = await tool("snmpwalk", ["-v1", "-c", COMMUNITY, "-On", target, qbridge]);
    const bulk = await tool("snmpbulkwalk", ["-v2c", "-c", COMMUNITY, "-On", "-Cr7", target, qbridge]);
    expect(bulk).toEqual(v1);
    expect(v1.join("\n")).not.toMatch(/not increasing/i);
    const oids = v1.map((l) => l.split(" ")[0]!);
    expect(oids.filter((o) => o.startsWith(".1.3.6.1.2.1.17.7.1.4.2.1.3."))).toEqual([
      ".1.3.6.1.2.1.17.7.1.4.2.1.3.0.1",
      ".1.3.6.1.2.1.17.7.1.4.2.1.3.0.100",
      ".1.3.6.1.2.1.17.7.1.4.2.1.3.0.160",
    ]);
    expect(v1).toContain(".1.3.6.1.2.1.17.7.1.4.2.1.3.0.100 = Gauge32: 2");
    expect(v1).toContain(".1.3.6.1.2.1.17.7.1.4.2.1.3.0.160 = Gauge32: 3");
    // dot1qTpFdbPort by FDB id: the switch's own and the uplink's hosts in 1, then 2, then 3.
    const fdbIds = oids
      .filter((o) => o.startsWith(".1.3.6.1.2.1.17.7.1.2.2.1.2."))
      .map((o) => Number(o.split(".")[14]));
    expect(fdbIds).toEqual([...fdbIds].sort((a, b) => a - b));
    expect(new Set(fdbIds)).toEqual(new Set([1, 2, 3]));
    expect(v1).toContain(`.1.3.6.1.2.1.17.7.1.2.2.1.2.2.${UNIT_INDEX} = INTEGER: 21`);
    expect(v1).toContain(".1.3.6.1.2.1.17.7.1.2.2.1.2.3.2.0.94.16.0.5 = INTEGER: 5");
    // One FDB id's subtree, as the driver walks it after a link up: only that VLAN's rows.
    const one = await tool("snmpbulkwalk", [
      "-v2c",
      "-c",
      COMMUNITY,
      "-On",
      target,
      "1.3.6.1.2.1.17.7.1.2.2.1.2.2",
    ]);
    expect(one).toEqual([`.1.3.6.1.2.1.17.7.1.2.2.1.2.2.${UNIT_INDEX} = INTEGER: 21`]);
  });

  it("a wrong community gets no answer", async () => {
    await expect(
      tool("snmpget", ["-v2c", "-c", "public", "-t", "0.5", "-r", "0", target, "1.3.6.1.2.1.1.1.0"]),
    ).rejects.toThrow(/Timeout/);
  });

  it("snmptrapd receives linkUp and linkDown with sysUpTime first and the IF-MIB objects", async () => {
    trapdOut = "";
    sim.plug("22", { mac: "02:00:5e:10:00:22" });
    sim.unplug("22");
    const deadline = Date.now() + 10_000;
    const traps = (): string[] =>
      trapdOut.split("\n").filter((l) => l.includes(".1.3.6.1.6.3.1.1.4.1.0 = OID"));
    while (traps().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [up, down] = traps();
    const varbinds = (line: string | undefined) =>
      (line ?? "").split("\t").map((v) => v.replace(/ = .*/, ""));
    expect(varbinds(up)).toEqual([
      ".1.3.6.1.2.1.1.3.0",
      ".1.3.6.1.6.3.1.1.4.1.0",
      ".1.3.6.1.2.1.2.2.1.1.22",
      ".1.3.6.1.2.1.2.2.1.7.22",
      ".1.3.6.1.2.1.2.2.1.8.22",
    ]);
    expect(up).toContain(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.4");
    expect(up).toContain(".1.3.6.1.2.1.2.2.1.8.22 = INTEGER: 1");
    expect(down).toContain(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3");
    expect(down).toContain(".1.3.6.1.2.1.2.2.1.8.22 = INTEGER: 2");
  });
});
