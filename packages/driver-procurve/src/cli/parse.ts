import type { ArpEntry, FdbEntry, SwitchPort } from "@factory/core";
import { procurveMacToColon } from "../mac";

const MAC = /\b([0-9a-f]{6}-[0-9a-f]{6})\b/i;

/**
 * Rows of `show mac-address` (`MAC  Port  VLAN`, older firmware `MAC  Port`) or, with `port`
 * given, of `show mac-address <port>` (`MAC  VLANs`, older firmware `MAC` alone). MACs are found
 * by their ProCurve spelling (`0010f3-841dea`), not by column position. In the per-port form a
 * MAC learned in several VLANs lists them (`1,100`): one entry per VLAN, as the FDB has.
 */
export function parseMacTable(text: string, port?: string): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const line of text.split("\n")) {
    const m = MAC.exec(line);
    if (!m) continue;
    const rest = line
      .slice(m.index + m[0].length)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const mac = procurveMacToColon(m[1]!);
    if (port !== undefined) {
      const vlans = vlanList(rest[0]);
      if (vlans.length === 0) out.push({ mac, port });
      for (const vlan of vlans) out.push({ mac, port, vlan });
    } else if (rest[0]) {
      const vlan = rest[1] && /^\d+$/.test(rest[1]) ? Number(rest[1]) : undefined;
      out.push({ mac, port: rest[0], ...(vlan === undefined ? {} : { vlan }) });
    }
  }
  return out;
}

/** `100` or `1,100` → VLAN ids (1–4094); anything else → none. */
export function vlanList(field: string | undefined): number[] {
  if (!field || !/^\d+(,\d+)*$/.test(field)) return [];
  return field
    .split(",")
    .map(Number)
    .filter((v) => v >= 1 && v <= 4094);
}

/** `show mac-address <mac>`: the port after `Located on Port :`, or undefined. */
export function parseMacLocation(text: string): string | undefined {
  return /Located on Port\s*:\s*(\S+)/i.exec(text)?.[1];
}

/** `show arp` rows: `IP  MAC  Type  Port`. */
export function parseArpTable(text: string): ArpEntry[] {
  const out: ArpEntry[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d{1,3}(?:\.\d{1,3}){3})\s+([0-9a-f]{6}-[0-9a-f]{6})\s+(\S+)/i.exec(line);
    if (m) out.push({ ip: m[1]!, mac: procurveMacToColon(m[2]!) });
  }
  return out;
}

/**
 * `show interfaces brief`: one row per port, `Port  Type | Alert Enabled Status Mode …`, the
 * link status being the third field after the bar.
 */
export function parseInterfacesBrief(text: string): Array<Pick<SwitchPort, "name" | "operStatus">> {
  const out: Array<Pick<SwitchPort, "name" | "operStatus">> = [];
  for (const line of text.split("\n")) {
    const bar = line.indexOf("|");
    if (bar < 0) continue;
    const left = line.slice(0, bar).trim().split(/\s+/);
    const right = line
      .slice(bar + 1)
      .trim()
      .split(/\s+/);
    const name = left[0];
    const status = right[2]?.toLowerCase();
    if (!name || name === "Port" || /^-+$/.test(name) || (status !== "up" && status !== "down")) continue;
    out.push({ name, operStatus: status });
  }
  return out;
}

const ESC = String.fromCharCode(27);
const ANSI = [
  new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, "g"),
  new RegExp(`${ESC}[()][A-Za-z0-9]`, "g"),
  new RegExp(`${ESC}[=>EDM78c]`, "g"),
];

/** Removes VT100/ANSI escapes and carriage returns from CLI output. */
export function stripAnsi(text: string): string {
  return ANSI.reduce((t, re) => t.replace(re, ""), text).replace(/\r/g, "");
}
