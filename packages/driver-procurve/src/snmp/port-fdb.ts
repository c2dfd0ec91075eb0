import { FdbStatus, Oid } from "../oids";
import type { SnmpClient } from "./client";
import { parseFdbRow, type RawFdb } from "./fdb";

/**
 * dot1qPvid of each bridge port: the VLAN its untagged frames, and so a plugged-in unit's MAC,
 * are learned in. One GET for all ports; a port the switch does not answer for is left out.
 */
export async function readPvids(
  client: SnmpClient,
  bridgePorts: readonly number[],
  signal?: AbortSignal,
): Promise<Map<number, number>> {
  const oids = bridgePorts.map((bp) => `${Oid.dot1qPvid}.${bp}`);
  const got = await client.get(oids, { signal });
  const out = new Map<number, number>();
  bridgePorts.forEach((bp, i) => {
    const vid = got.get(oids[i]!);
    if (typeof vid === "number" && Number.isInteger(vid) && vid > 0) out.set(bp, vid);
  });
  return out;
}

/**
 * The Q-BRIDGE FDB rows of some filtering databases only. dot1qTpFdbPort is indexed
 * fdbId.mac, so one FDB id is one subtree: walking it (port and status side by side) reads
 * that VLAN's rows instead of the whole table, a few rows instead of thousands behind an
 * uplink. Keeps learned rows (and rows without a status), drops port 0, like `readFdb`.
 */
export async function readFdbOfIds(
  client: SnmpClient,
  fdbIds: readonly number[],
  signal?: AbortSignal,
): Promise<RawFdb> {
  const ids = [...new Set(fdbIds)];
  const columns = ids.flatMap((id) => [`${Oid.dot1qTpFdbPort}.${id}`, `${Oid.dot1qTpFdbStatus}.${id}`]);
  const walked = await client.walkColumns(columns, { signal });
  const out: RawFdb = { source: "q-bridge", rows: [], malformed: 0 };
  ids.forEach((id, k) => {
    const ports = walked[2 * k] ?? [];
    const status = new Map((walked[2 * k + 1] ?? []).map((r) => [r.index.join("."), r.value] as const));
    for (const row of ports) {
      const parsed = parseFdbRow({ ...row, index: [id, ...row.index] }, true);
      if (!parsed) {
        out.malformed++;
        continue;
      }
      const st = status.get(row.index.join("."));
      if (st !== undefined && st !== FdbStatus.learned) continue; // self, mgmt, invalid
      if (parsed.bridgePort === 0) continue;
      out.rows.push(parsed);
    }
  });
  return out;
}
