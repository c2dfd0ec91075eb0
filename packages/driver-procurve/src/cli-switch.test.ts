import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { isFactoryError, type SwitchEvent } from "@factory/core";
import { describeSwitchDriverConformance, requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArpTable, parseInterfacesBrief, parseMacTable, stripAnsi } from "./cli/parse";
import { createProcurveSwitch } from "./driver";
import {
  type CliState,
  SSH_PASSWORD,
  SSH_USER,
  SSHD_PEER,
  type SshPeer,
  startSshd,
} from "./test-support/sshd";

const isRoot = process.getuid?.() === 0;
const hasSshd = isRoot && requirePeer(SSHD_PEER);

const initial = (): CliState => ({
  ports: [
    ...Array.from({ length: 22 }, (_, i) => ({ name: String(i + 1), up: [5, 21, 22].includes(i + 1) })),
    { name: "Trk1", up: true },
  ],
  macs: [
    { mac: "00:1a:2b:3c:4d:5e", port: "21", vlan: 100 },
    { mac: "00:1a:2b:00:00:05", port: "5", vlan: 100 },
    ...Array.from({ length: 30 }, (_, i) => ({
      mac: `00:50:56:00:00:${i.toString(16).padStart(2, "0")}`,
      port: "Trk1",
      vlan: 1,
    })),
  ],
  arp: [{ ip: "10.0.100.21", mac: "00:1a:2b:3c:4d:5e", port: "21" }],
});

describe("CLI output parsing", () => {
  it("reads MAC tables with and without a VLAN column, by MAC token", () => {
    const text =
      "  MAC Address   Port   VLAN\n  ------------- ------ ----\n  500000-b70008 25     50\n  0010f3-841dea Trk1\n";
    expect(parseMacTable(text)).toEqual([
      { mac: "50:00:00:b7:00:08", port: "25", vlan: 50 },
      { mac: "00:10:f3:84:1d:ea", port: "Trk1" },
    ]);
    expect(parseMacTable("  0010f3-841dea 100\n", "21")).toEqual([
      { mac: "00:10:f3:84:1d:ea", port: "21", vlan: 100 },
    ]);
  });

  it("reads the per-port table: a VLAN list gives one entry per VLAN, no VLAN column none", () => {
    const withVlans =
      " Status and Counters - Port Address Table - 21\n\n  MAC Address   VLANs\n  ------------- -----\n  0010f3-841dea 1,100\n  001a2b-3c4d5e 100\n";
    expect(parseMacTable(withVlans, "21")).toEqual([
      { mac: "00:10:f3:84:1d:ea", port: "21", vlan: 1 },
      { mac: "00:10:f3:84:1d:ea", port: "21", vlan: 100 },
      { mac: "00:1a:2b:3c:4d:5e", port: "21", vlan: 100 },
    ]);
    const older =
      " Status and Counters - Port Address Table - A2\n\n  MAC Address\n  -------------\n  0060b0-889e00\n";
    expect(parseMacTable(older, "A2")).toEqual([{ mac: "00:60:b0:88:9e:00", port: "A2" }]);
  });

  it("reads show arp and show interfaces brief, skipping headers", () => {
    expect(parseArpTable("  10.11.12.11  0015b2-a45078  dynamic 2\n  IP Address  MAC\n")).toEqual([
      { ip: "10.11.12.11", mac: "00:15:b2:a4:50:78" },
    ]);
    const brief =
      "  Port  Type      | Alert     Enabled Status Mode\n  ----- --------- + --------- ------- ------\n  21    100/1000T | No        Yes     Up     1000FDx\n  Trk1  100/1000T | No        Yes     Down   1000FDx\n";
    expect(parseInterfacesBrief(brief)).toEqual([
      { name: "21", operStatus: "up" },
      { name: "Trk1", operStatus: "down" },
    ]);
  });

  it("strips VT100 escapes", () => {
    expect(stripAnsi("\u001b[2J\u001b[1;1HSwitch# \u001b[7m-- MORE --\u001b[0m\r\n")).toBe(
      "Switch# -- MORE --\n",
    );
  });
});

describe.runIf(hasSshd)("CliSwitch against OpenSSH with a scripted ProCurve CLI", () => {
  let peer: SshPeer;
  let legacy: SshPeer;
  beforeAll(async () => {
    peer = await startSshd(initial());
    legacy = await startSshd(initial(), true);
  });
  afterAll(async () => {
    await peer?.stop();
    await legacy?.stop();
  });
  const open = (port: number, password = SSH_PASSWORD) =>
    createProcurveSwitch({
      mode: "cli",
      host: "127.0.0.1",
      ssh: { port, username: SSH_USER, password, connectTimeoutMs: 10_000 },
      timing: { pollIntervalMs: 500 },
    });

  it("passes the banner, turns paging off and reads ports, MACs and ARP", async () => {
    const sw = open(peer.port);
    expect(await sw.identify()).toMatchObject({
      model: "J9021A Switch 2810-24G",
      firmware: "N.11.15",
      fdbSource: "cli",
    });
    const ports = await sw.listPorts();
    expect(ports.find((p) => p.name === "21")).toMatchObject({ operStatus: "up", uplink: false });
    expect(ports.find((p) => p.name === "Trk1")?.uplink).toBe(true);
    expect(await sw.macsOnPort("21")).toEqual([{ mac: "00:1a:2b:3c:4d:5e", port: "21", vlan: 100 }]);
    expect(await sw.findMac("00-1A-2B-00-00-05")).toEqual({ mac: "00:1a:2b:00:00:05", port: "5" });
    expect(await sw.findMac("00:50:56:00:00:01")).toBeUndefined(); // behind the trunk
    expect(await sw.arp()).toEqual([{ ip: "10.0.100.21", mac: "00:1a:2b:3c:4d:5e" }]);
    await sw.close();
  });

  it("negotiates the old algorithms (group14-sha1, ssh-rsa, aes128-cbc, hmac-sha1) ProCurve firmware uses", async () => {
    const sw = open(legacy.port);
    expect(await sw.macsOnPort("21")).toHaveLength(1);
    await sw.close();
  });

  it("reads a port's table in the older firmware form (no VLAN column) and a MAC in two VLANs", async () => {
    const state = initial();
    state.macs.push({ mac: "00:1a:2b:00:00:99", port: "21", vlan: 1 });
    state.macs.push({ mac: "00:1a:2b:00:00:99", port: "21", vlan: 100 });
    const sw = open(peer.port);
    try {
      peer.setState(state);
      expect(await sw.macsOnPort("21")).toEqual([
        { mac: "00:1a:2b:3c:4d:5e", port: "21", vlan: 100 },
        { mac: "00:1a:2b:00:00:99", port: "21", vlan: 1 },
        { mac: "00:1a:2b:00:00:99", port: "21", vlan: 100 },
      ]);
      peer.setState({ ...state, portTableVlans: false } as CliState);
      expect(await sw.macsOnPort("21")).toEqual([
        { mac: "00:1a:2b:3c:4d:5e", port: "21" },
        { mac: "00:1a:2b:00:00:99", port: "21" },
      ]);
    } finally {
      await sw.close();
      peer.setState(initial());
    }
  });

  it("after a link up reads only `show mac-address <port>` until the MAC shows; the whole table stays the periodic read", async () => {
    // The scripted CLI writes every command it receives here: what the driver sent on the wire.
    const dir = mkdtempSync(path.join(tmpdir(), "procurve-cli-log-"));
    chmodSync(dir, 0o777);
    const logFile = path.join(dir, "commands.log");
    writeFileSync(logFile, "");
    chmodSync(logFile, 0o666);
    const commands = (): string[] => readFileSync(logFile, "utf8").split("\n").filter(Boolean);
    const state = { ...initial(), commandLog: logFile } as CliState;
    state.ports = state.ports.map((p) => (p.name === "22" ? { ...p, up: false } : p));
    peer.setState(state);
    // A long full-read interval: an arrival within it can only come from the per-port reads.
    const pollIntervalMs = 4000;
    const sw = createProcurveSwitch({
      mode: "cli",
      host: "127.0.0.1",
      ssh: { port: peer.port, username: SSH_USER, password: SSH_PASSWORD, connectTimeoutMs: 10_000 },
      timing: { pollIntervalMs },
    });
    const controller = new AbortController();
    const events = sw.watch({ ports: ["22"], signal: controller.signal })[Symbol.asyncIterator]();
    const nextOf = async (type: SwitchEvent["type"]): Promise<SwitchEvent> => {
      for (;;) {
        const r = await events.next();
        if (r.done) throw new Error(`watch ended before ${type}`);
        if (r.value.type === type) return r.value;
      }
    };
    try {
      await nextOf("health");
      state.ports = state.ports.map((p) => (p.name === "22" ? { ...p, up: true } : p));
      peer.setState(state);
      await nextOf("link-up");
      const atLinkUp = commands().length;
      // The unit sends its first frame a little after the link comes up.
      await new Promise((r) => setTimeout(r, 250));
      state.macs.push({ mac: "02:00:5e:00:00:22", port: "22", vlan: 100 });
      peer.setState(state);
      const learned = await nextOf("mac-learned");
      expect(learned).toMatchObject({ port: "22", mac: "02:00:5e:00:00:22", vlan: 100 });
      const between = commands().slice(atLinkUp);
      expect(between.filter((c) => c === "show mac-address 22").length).toBeGreaterThanOrEqual(2);
      expect(between).not.toContain("show mac-address");
      // The periodic whole read (and link read) goes on after the arrival.
      const atLearned = commands().length;
      await expect
        .poll(() => commands().slice(atLearned), { timeout: pollIntervalMs * 3, interval: 100 })
        .toEqual(expect.arrayContaining(["show mac-address", "show interfaces brief"]));
    } finally {
      controller.abort();
      await events.return?.();
      await sw.close();
      peer.setState(initial());
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it.each([
    ["takes port lists", true],
    ["refuses port lists", false],
  ])(
    "ports that come up together (a rack plugged at once) are read in one `show mac-address 3-5,7` (switch %s)",
    async (_, lists) => {
      const dir = mkdtempSync(path.join(tmpdir(), "procurve-cli-log-"));
      chmodSync(dir, 0o777);
      const logFile = path.join(dir, "commands.log");
      writeFileSync(logFile, "");
      chmodSync(logFile, 0o666);
      const commands = (): string[] => readFileSync(logFile, "utf8").split("\n").filter(Boolean);
      const rack = ["3", "4", "5", "7"];
      const state = { ...initial(), commandLog: logFile, ...(lists ? {} : { portLists: false }) } as CliState;
      state.ports = state.ports.map((p) => (rack.includes(p.name) ? { ...p, up: false } : p));
      state.macs = state.macs.filter((m) => !rack.includes(m.port));
      peer.setState(state);
      // A long full-read interval: the MACs, which show after the links came up, can only be
      // found within it by the arrival reads.
      const pollIntervalMs = 4000;
      const sw = createProcurveSwitch({
        mode: "cli",
        host: "127.0.0.1",
        ssh: { port: peer.port, username: SSH_USER, password: SSH_PASSWORD, connectTimeoutMs: 10_000 },
        timing: { pollIntervalMs },
      });
      const controller = new AbortController();
      const events = sw.watch({ ports: rack, signal: controller.signal })[Symbol.asyncIterator]();
      const collect = async (type: SwitchEvent["type"], n: number): Promise<SwitchEvent[]> => {
        const seen: SwitchEvent[] = [];
        while (seen.length < n) {
          const r = await events.next();
          if (r.done) throw new Error(`watch ended before ${n} ${type}`);
          if (r.value.type === type) seen.push(r.value);
        }
        return seen;
      };
      try {
        await collect("health", 1);
        state.ports = state.ports.map((p) => (rack.includes(p.name) ? { ...p, up: true } : p));
        peer.setState(state);
        const ups = await collect("link-up", rack.length);
        expect(ups.map((e) => ("port" in e ? e.port : "")).sort()).toEqual([...rack].sort());
        const atLinkUp = commands().length;
        state.macs.push(...rack.map((port, i) => ({ mac: `02:00:5e:00:01:0${i}`, port, vlan: 100 })));
        peer.setState(state);
        const learned = await collect("mac-learned", rack.length);
        expect(learned.map((e) => ("port" in e ? e.port : "")).sort()).toEqual([...rack].sort());
        const between = commands().slice(atLinkUp);
        expect(between).not.toContain("show mac-address"); // no whole read: the arrivals found them
        const perPort = between.filter((c) => rack.some((p) => c === `show mac-address ${p}`));
        const list = between.filter((c) => c === "show mac-address 3-5,7");
        if (lists) {
          // Every arrival read was one command for the four ports.
          expect(list.length).toBeGreaterThanOrEqual(1);
          expect(perPort).toEqual([]);
        } else {
          // Refused once, then port by port, and never a list again.
          expect(commands().filter((c) => c === "show mac-address 3-5,7")).toHaveLength(1);
          expect(new Set(perPort)).toEqual(new Set(rack.map((p) => `show mac-address ${p}`)));
        }
      } finally {
        controller.abort();
        await events.return?.();
        await sw.close();
        peer.setState(initial());
        rmSync(dir, { recursive: true, force: true });
      }
    },
    30_000,
  );

  it("rejects a wrong password with SWITCH_AUTH_FAILED", async () => {
    const sw = open(peer.port, "wrong-password");
    const e = await sw.identify().catch((error: unknown) => error);
    expect(isFactoryError(e, "SWITCH_AUTH_FAILED")).toBe(true);
    await sw.close();
  });

  describeSwitchDriverConformance(
    "procurve over the SSH CLI (polling)",
    async () => {
      const state = initial();
      const save = (): void => peer.setState(state);
      const driver = open(peer.port);
      return {
        driver,
        port: "21",
        otherPort: "22",
        uplink: { port: "Trk1", mac: "00:50:56:00:00:00" },
        learnMac: async (mac, port) => {
          state.macs = state.macs.filter((m) => m.mac !== mac);
          state.macs.push({ mac, port, vlan: 100 });
          save();
        },
        forgetMac: async (mac) => {
          state.macs = state.macs.filter((m) => m.mac !== mac);
          save();
        },
        linkUp: async (port) => {
          state.ports = state.ports.map((p) => (p.name === port ? { ...p, up: true } : p));
          save();
        },
        linkDown: async (port) => {
          state.ports = state.ports.map((p) => (p.name === port ? { ...p, up: false } : p));
          save();
        },
      };
    },
    { eventTimeoutMs: 8000 },
  );
});
