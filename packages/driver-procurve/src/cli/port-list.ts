import type { FdbEntry } from "@factory/core";
import { procurveMacToColon } from "../mac";
import { vlanList } from "./parse";

const MAC = /\b([0-9a-f]{6}-[0-9a-f]{6})\b/i;
const HEADER = /Port Address Table\s*-\s*(\S+)\s*$/i;

/**
 * A ProCurve port list for `show mac-address <port-list>`: runs of consecutive ports with the
 * same prefix become ranges, the rest are joined by commas (`["1","2","3","4","7"]` → `1-4,7`,
 * `["A1","A2","B3"]` → `A1-A2,B3`). Duplicates are dropped; order is by prefix then number.
 */
export function portListArg(ports: readonly string[]): string {
  const groups = new Map<string, number[]>();
  const other: string[] = [];
  for (const port of new Set(ports)) {
    const m = /^([A-Za-z]*)(\d+)$/.exec(port);
    if (!m || (m[2]!.length > 1 && m[2]!.startsWith("0"))) {
      other.push(port);
      continue;
    }
    groups.set(m[1]!, [...(groups.get(m[1]!) ?? []), Number(m[2])]);
  }
  const items: string[] = [];
  for (const [prefix, numbers] of groups) {
    const sorted = numbers.sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; ) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
      items.push(i === j ? `${prefix}${sorted[i]}` : `${prefix}${sorted[i]}-${prefix}${sorted[j]}`);
      i = j + 1;
    }
  }
  return [...items, ...other].join(",");
}

/**
 * Rows of `show mac-address <port-list>` for `ports`, each named with the caller's spelling of
 * its port. The switch lists the learned MACs of all the ports with their port (`MAC  Port
 * [VLAN]`, the whole-table layout); output in sections, one per port (`Port Address Table -
 * 21` then `MAC [VLANs]` rows), is read too. Returns undefined when a row cannot be told apart
 * (its port is not one asked for, or it has none): the caller then reads port by port.
 */
export function parsePortListTable(text: string, ports: readonly string[]): FdbEntry[] | undefined {
  const byLower = new Map(ports.map((p) => [p.toLowerCase(), p] as const));
  const out: FdbEntry[] = [];
  let section: string | undefined;
  for (const line of text.split("\n")) {
    const header = HEADER.exec(line);
    if (header) {
      section = byLower.get(header[1]!.toLowerCase());
      continue;
    }
    const m = MAC.exec(line);
    if (!m) continue;
    const mac = procurveMacToColon(m[1]!);
    const rest = line
      .slice(m.index + m[0].length)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    const port = section ?? byLower.get(rest[0]?.toLowerCase() ?? "");
    if (port === undefined) return undefined;
    const vlans = vlanList(section ? rest[0] : rest[1]);
    if (vlans.length === 0) out.push({ mac, port });
    for (const vlan of vlans) out.push({ mac, port, vlan });
  }
  return out;
}
