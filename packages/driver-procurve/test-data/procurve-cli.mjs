#!/usr/bin/env node
// A scripted ProCurve CLI for tests, run as the ForceCommand of a real OpenSSH server:
// banner + "Press any key to continue", a `Name# ` prompt, a pager that stops at
// "-- MORE --" until `no page`, VT100 escapes, and `show mac-address [port|mac]`,
// `show interfaces brief`, `show arp`, `logout`. State (ports, MACs, ARP) is read from the
// JSON file named on the command line before every command, so tests can change it. State
// options: `portTableVlans: false` answers `show mac-address <port>` as older firmware does
// (a MAC column only); `portLists: false` refuses a port list (`show mac-address 1-4,7`) as
// `Invalid input`, as a firmware without it would; `commandLog: "<file>"` appends every command
// line to that file, so a test sees what the driver sent on the wire.
import { appendFileSync, readFileSync } from "node:fs";

const stateFile = process.argv[2];
const PROMPT = "ProCurve-2810# ";
const MORE = "-- MORE --, next page: Space, next line: Enter, quit: Control-C";
const out = (s) => process.stdout.write(s.replace(/\n/g, "\r\n"));
const state = () => JSON.parse(readFileSync(stateFile, "utf8"));
const pm = (mac) => `${mac.replaceAll(":", "").slice(0, 6)}-${mac.replaceAll(":", "").slice(6)}`;

let paging = true;
let pending = [];
let mode = "banner";
let line = "";
const logoutAsked = false;

if (process.stdin.isTTY) process.stdin.setRawMode(true);
out("\x1b[1;24r\x1b[24;1H\x1b[2K\nProCurve J9021A Switch 2810-24G\nSoftware revision N.11.15\n\n");
out("Copyright (C) 1991-2009 Hewlett-Packard Co.  All Rights Reserved.\n\n");
out("Press any key to continue");

/** `1-4,7` or `a1-a2,b3` → the ports' own names, or null when one is not a port. */
function expandPortList(arg, ports) {
  const byLower = new Map(ports.map((p) => [p.name.toLowerCase(), p.name]));
  const names = [];
  for (const item of arg.toLowerCase().split(",")) {
    const range = /^([a-z]*)(\d+)-([a-z]*)(\d+)$/.exec(item);
    const items = [];
    if (range && range[1] === range[3] && Number(range[2]) <= Number(range[4])) {
      for (let n = Number(range[2]); n <= Number(range[4]); n++) items.push(`${range[1]}${n}`);
    } else {
      items.push(item);
    }
    for (const i of items) {
      const name = byLower.get(i);
      if (!name) return null;
      names.push(name);
    }
  }
  return names;
}

function page() {
  const chunk = pending.splice(0, paging ? 20 : pending.length);
  out(`${chunk.join("\n")}\n`);
  if (pending.length > 0) {
    out(`\x1b[7m${MORE}\x1b[0m`);
    mode = "more";
  } else {
    out(`\x1b[2K${PROMPT}`);
    mode = "cli";
  }
}

function run(cmd) {
  const words = cmd.trim().split(/\s+/).filter(Boolean);
  const s = state();
  if (s.commandLog && words.length > 0) appendFileSync(s.commandLog, `${cmd.trim()}\n`);
  const text = (() => {
    if (words.length === 0) return [];
    if (cmd.trim() === "no page") {
      paging = false;
      return [];
    }
    if (cmd.trim() === "logout") return null;
    if (words[0] === "show" && words[1] === "mac-address") {
      const arg = words[2];
      if (!arg) {
        return [
          " Status and Counters - Port Address Table",
          "",
          "  MAC Address   Port   VLAN",
          "  ------------- ------ ----",
          ...s.macs.map((m) => `  ${pm(m.mac)} ${m.port.padEnd(6)} ${m.vlan}`),
        ];
      }
      if (/^[0-9a-f]{6}-[0-9a-f]{6}$/.test(arg)) {
        const hit = s.macs.find((m) => pm(m.mac) === arg);
        return hit
          ? [
              ` Status and Counters - Address Table - ${arg}`,
              "",
              `  MAC Address : ${arg}`,
              `  Located on Port : ${hit.port}`,
            ]
          : [` Status and Counters - Address Table - ${arg}`, "", `  MAC address ${arg} not found.`];
      }
      // A port list (`1-4,7`, `a1-a2,b3`): the ports' MACs with their port, one row per VLAN.
      if (/[,-]/.test(arg)) {
        if (s.portLists === false) return [`Invalid input: ${arg}`];
        const names = expandPortList(arg, s.ports);
        if (!names) return [`Invalid input: ${arg}`];
        return [
          ` Status and Counters - Port Address Table - ${arg}`,
          "",
          "  MAC Address   Port   VLAN",
          "  ------------- ------ ----",
          ...s.macs
            .filter((m) => names.includes(m.port))
            .map((m) => `  ${pm(m.mac)} ${m.port.padEnd(6)} ${m.vlan}`),
        ];
      }
      // Port names are taken in any case (`a1`); the header shows the port's own spelling.
      const port = s.ports.find((p) => p.name.toLowerCase() === arg.toLowerCase());
      if (!port) return [`Invalid input: ${arg}`];
      // One row per MAC; a MAC learned in several VLANs lists them (`1,100`).
      const vlansByMac = new Map();
      for (const m of s.macs.filter((e) => e.port === port.name)) {
        vlansByMac.set(m.mac, [...(vlansByMac.get(m.mac) ?? []), m.vlan]);
      }
      const rows = [...vlansByMac].map(([mac, vlans]) =>
        s.portTableVlans === false ? `  ${pm(mac)}` : `  ${pm(mac)} ${vlans.join(",")}`,
      );
      return [
        ` Status and Counters - Port Address Table - ${port.name}`,
        "",
        ...(s.portTableVlans === false
          ? ["  MAC Address", "  -------------"]
          : ["  MAC Address   VLANs", "  ------------- -----"]),
        ...rows,
      ];
    }
    if (cmd.trim() === "show interfaces brief") {
      return [
        " Status and Counters - Port Status",
        "",
        "                  | Intrusion                           MDI   Flow  Bcast",
        "  Port  Type      | Alert     Enabled Status Mode       Mode  Ctrl  Limit",
        "  ----- --------- + --------- ------- ------ ---------- ----- ----- ------",
        ...s.ports.map(
          (p) =>
            `  ${p.name.padEnd(5)} 100/1000T | No        Yes     ${(p.up ? "Up" : "Down").padEnd(6)} ${p.up ? "1000FDx" : "1000FDx"}    Auto  off   0`,
        ),
      ];
    }
    if (cmd.trim() === "show arp") {
      return [
        "",
        " IP ARP table",
        "",
        "  IP Address       MAC Address       Type    Port",
        "  ---------------  ----------------- ------- ----",
        ...s.arp.map((a) => `  ${a.ip.padEnd(16)} ${pm(a.mac).padEnd(17)} dynamic ${a.port}`),
      ];
    }
    return [`Invalid input: ${words[0]}`];
  })();
  if (text === null) {
    out("\nDo you want to log out [y/n]? ");
    mode = "logout";
    return;
  }
  pending = text;
  out("\n");
  page();
}

process.stdin.on("data", (buf) => {
  for (const ch of buf.toString("latin1")) {
    if (mode === "banner") {
      out(`\x1b[2J\x1b[1;1H${PROMPT}`);
      mode = "cli";
    } else if (mode === "more") {
      if (ch === " ") {
        out("\r\x1b[2K");
        page();
      } else if (ch === "\x03") {
        pending = [];
        out(`\r\x1b[2K${PROMPT}`);
        mode = "cli";
      }
    } else if (mode === "logout") {
      if (ch === "y" || ch === "Y") process.exit(0);
      if (!logoutAsked) out(`\n${PROMPT}`);
      mode = "cli";
    } else if (ch === "\r" || ch === "\n") {
      const cmd = line;
      line = "";
      run(cmd);
    } else if (ch === "\x7f" || ch === "\b") {
      line = line.slice(0, -1);
      out("\b \b");
    } else {
      line += ch;
      out(ch);
    }
  }
});
process.stdin.on("end", () => process.exit(0));
