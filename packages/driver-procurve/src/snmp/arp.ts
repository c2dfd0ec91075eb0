import type { ArpEntry } from "@factory/core";
import { macFromValue } from "../mac";
import { Oid } from "../oids";
import type { SnmpClient } from "./client";

/**
 * MAC → IP from the switch: ipNetToMediaTable (index ifIndex.a.b.c.d), or ipNetToPhysicalTable
 * (index ifIndex.addrType.len.addr…) when the first is empty. Invalid (2) entries are dropped.
 */
export async function readArp(client: SnmpClient, signal?: AbortSignal): Promise<ArpEntry[]> {
  const [phys = [], types = []] = await client.walkColumns(
    [Oid.ipNetToMediaPhysAddress, Oid.ipNetToMediaType],
    {
      signal,
    },
  );
  const invalid = new Set(types.filter((t) => t.value === 2).map((t) => t.index.join(".")));
  const out: ArpEntry[] = [];
  for (const row of phys) {
    const mac = macFromValue(row.value);
    if (!mac || row.index.length !== 5 || invalid.has(row.index.join("."))) continue;
    out.push({ mac, ip: row.index.slice(1).join("."), ifIndex: row.index[0]! });
  }
  if (out.length > 0) return out;

  const [phys2 = [], types2 = []] = await client.walkColumns(
    [Oid.ipNetToPhysicalPhysAddress, Oid.ipNetToPhysicalType],
    { signal },
  );
  const invalid2 = new Set(types2.filter((t) => t.value === 2).map((t) => t.index.join(".")));
  for (const row of phys2) {
    const mac = macFromValue(row.value);
    const [ifIndex, addrType, len, ...addr] = row.index;
    if (!mac || invalid2.has(row.index.join(".")) || addr.length !== len) continue;
    if (addrType === 1 && len === 4) out.push({ mac, ip: addr.join("."), ifIndex: ifIndex! });
    else if (addrType === 2 && len === 16) out.push({ mac, ip: ipv6(addr), ifIndex: ifIndex! });
  }
  return out;
}

function ipv6(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}
