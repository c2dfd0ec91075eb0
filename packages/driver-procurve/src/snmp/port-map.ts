import type { SignalOptions, SwitchPort } from "@factory/core";
import { IfType, Oid } from "../oids";
import type { SnmpClient } from "./client";

/** Front-panel ports and the ways SNMP tables refer to them. */
export interface PortMap {
  ports: SwitchPort[];
  byName: Map<string, SwitchPort>;
  byBridgePort: Map<number, SwitchPort>;
  byIfIndex: Map<number, SwitchPort>;
}

export interface PortMapOptions {
  /** Port names (or aliases) that are uplinks, besides trunks which always are. */
  uplinks: ReadonlySet<string>;
  /** Which column names a port: `ifName` (default; `21`, `A1`, `Trk1` on ProCurve) or `ifDescr`. */
  portNames: "ifName" | "ifDescr";
}

const PHYSICAL = new Set<number>([IfType.ethernet, IfType.fastEther, IfType.gigabit, IfType.lag]);
const OPER: Record<number, SwitchPort["operStatus"]> = {
  1: "up",
  2: "down",
  7: "down",
  6: "down",
  5: "down",
};

/**
 * Reads bridge port → ifIndex → ifName/ifAlias, so that config can say `port: 21` the way the
 * operator reads it on the front panel. Bridge ports are not assumed to equal ifIndexes; when a
 * switch has no dot1dBasePortIfIndex table, physical interfaces are taken with bridge port = ifIndex.
 */
export async function readPortMap(
  client: SnmpClient,
  options: PortMapOptions,
  signal?: SignalOptions["signal"],
): Promise<PortMap> {
  const so = { signal };
  const [[descr = [], type = [], oper = []], [name = [], alias = []], [base = []]] = await Promise.all([
    client.walkColumns([Oid.ifDescr, Oid.ifType, Oid.ifOperStatus], so),
    client.walkColumns([Oid.ifName, Oid.ifAlias], so),
    client.walkColumns([Oid.dot1dBasePortIfIndex], so),
  ]);
  const text = (rows: typeof descr): Map<number, string> =>
    new Map(rows.flatMap((r) => (r.index.length === 1 ? [[r.index[0]!, valueText(r.value)] as const] : [])));
  const num = (rows: typeof descr): Map<number, number> =>
    new Map(
      rows.flatMap((r) =>
        r.index.length === 1 && typeof r.value === "number" ? [[r.index[0]!, r.value] as const] : [],
      ),
    );
  const descrs = text(descr);
  const names = text(name);
  const aliases = text(alias);
  const types = num(type);
  const opers = num(oper);
  const bridgeToIf = num(base);
  const ifToBridge = new Map([...bridgeToIf].map(([bp, ifi]) => [ifi, bp] as const));

  const candidates = new Set<number>(bridgeToIf.size > 0 ? bridgeToIf.values() : []);
  for (const [ifIndex, t] of types) if (bridgeToIf.size === 0 && PHYSICAL.has(t)) candidates.add(ifIndex);
  for (const [ifIndex, t] of types) if (t === IfType.lag) candidates.add(ifIndex);

  const map: PortMap = { ports: [], byName: new Map(), byBridgePort: new Map(), byIfIndex: new Map() };
  for (const ifIndex of [...candidates].sort((a, b) => a - b)) {
    const t = types.get(ifIndex);
    if (t === IfType.vlan || t === IfType.loopback) continue;
    const label =
      (options.portNames === "ifDescr" ? descrs.get(ifIndex) : names.get(ifIndex)) ||
      names.get(ifIndex) ||
      descrs.get(ifIndex) ||
      String(ifIndex);
    const aliasText = aliases.get(ifIndex) || undefined;
    const bridgePort = bridgeToIf.size > 0 ? ifToBridge.get(ifIndex) : ifIndex;
    const port: SwitchPort = {
      name: label,
      ifIndex,
      ...(bridgePort !== undefined && bridgePort !== ifIndex ? { bridgePort } : {}),
      ...(aliasText ? { alias: aliasText } : {}),
      operStatus: OPER[opers.get(ifIndex) ?? 0] ?? "unknown",
      uplink:
        t === IfType.lag ||
        /^trk\d+$/i.test(label) ||
        options.uplinks.has(label) ||
        (aliasText !== undefined && options.uplinks.has(aliasText)),
    };
    if (map.byName.has(label)) continue; // duplicate names: the first (lowest ifIndex) wins
    map.ports.push(port);
    map.byName.set(label, port);
    map.byIfIndex.set(ifIndex, port);
    if (bridgePort !== undefined) map.byBridgePort.set(bridgePort, port);
  }
  return map;
}

/** ifOperStatus of every interface, by ifIndex. */
export async function readOperStatus(
  client: SnmpClient,
  signal?: AbortSignal,
): Promise<Map<number, SwitchPort["operStatus"]>> {
  const [rows = []] = await client.walkColumns([Oid.ifOperStatus], { signal });
  return new Map(
    rows.flatMap((r) =>
      r.index.length === 1 && typeof r.value === "number"
        ? [[r.index[0]!, OPER[r.value] ?? "unknown"] as const]
        : [],
    ),
  );
}

function valueText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString("utf8").replace(/\0+$/, "").trim();
  return value === undefined || value === null ? "" : String(value).trim();
}
