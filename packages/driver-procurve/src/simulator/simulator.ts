import { isIPv4 } from "node:net";
import { ErrorCodes, type Logger, noopLogger, normalizeMac } from "@factory/core";
import { procurveError } from "../errors";
import { SnmpAgent, type SnmpAgentStats } from "./agent";
import { encodeLinkTrap, type TrapTarget } from "./link-trap";
import { MibStore } from "./mib-store";
import { SIMULATED_MODELS, type SimulatedModelName } from "./models";
import {
  assignFdbIds,
  DEFAULT_VLAN,
  defineSwitchObjects,
  fdbIdOf,
  renderSwitchMib,
  type SimPortState,
  type SimSwitchState,
  setArpEntry,
  setFdbEntry,
  setPortLink,
} from "./switch-mib";

export type { TrapTarget } from "./link-trap";
export type { SimulatedModelName } from "./models";

export interface ProcurveSimulatorOptions {
  /** Address to bind (default `127.0.0.1`). */
  host?: string;
  /** UDP port; 0 (default) takes a free port. */
  port?: number;
  /** Read-only community, v2c and v1 (default `public`). A secret: never logged. */
  community?: string;
  /** Model to pose as: sysObjectID, sysDescr, sysName and the number of ports (default `2810-24G`). */
  model?: SimulatedModelName;
  /** Number of front ports, overriding the model's. */
  ports?: number;
  /** Ports that always carry many MACs, link always up (default: the last port). */
  uplinks?: string[];
  /** Where linkUp / linkDown traps go. */
  trapTargets?: TrapTarget[];
  /** Delay from link up to the MAC appearing in the FDB (and ARP), ms (default 300). */
  learnDelayMs?: number;
  /** How many hosts each uplink carries in the FDB (default 40). */
  uplinkMacs?: number;
  /**
   * Untagged VLAN (dot1qPvid) of front ports by name, e.g. `{ "21": 100, "22": 100 }`; the
   * others are in VLAN 1 (DEFAULT_VLAN). A port's MACs are learned in its VLAN's FDB: FDB id 1
   * for VLAN 1, then 2, 3, … for the other VLANs in increasing VLAN id order (dot1qVlanFdbId),
   * so that, as on ProCurve, an FDB id is not the VLAN id.
   */
  vlans?: Record<string, number>;
  logger?: Logger;
}

/** A port as the simulator sees it. */
export interface SimulatedPort {
  port: string;
  ifIndex: number;
  /** Untagged VLAN id (dot1qPvid). */
  vlan: number;
  up: boolean;
  macs: string[];
}

/** A simulated ProCurve switch: a real SNMP agent on UDP with link traps. */
export interface ProcurveSimulator {
  readonly host: string;
  readonly port: number;
  readonly community: string;
  /**
   * A device is plugged into `port`: link up (a linkUp trap when the link was down), then after
   * `learnDelayMs` its MAC in the FDB (moved from any other port) and, with `ip`, an ARP entry.
   */
  plug(port: string, device: { mac: string; ip?: string }): void;
  /** The device is unplugged: link down (linkDown trap); the port's learned MACs are flushed. */
  unplug(port: string): void;
  addTrapTarget(target: TrapTarget): void;
  /** Front ports: name, ifIndex, link state and learned MACs. */
  ports(): SimulatedPort[];
  /** Lower level, for tests: `mac` learned on `port` now, whatever the link state. */
  learn(port: string, mac: string): void;
  /** Lower level, for tests: `mac` aged out of the FDB. */
  forget(mac: string): void;
  /** Lower level, for tests: the link of `port` goes up or down (trap on change), FDB untouched. */
  setLink(port: string, up: boolean): void;
  /** Agent counters (requests, drops by wrong community, malformed datagrams). */
  readonly stats: Readonly<SnmpAgentStats>;
  close(): Promise<void>;
}

const DEFAULTS = { host: "127.0.0.1", community: "public", learnDelayMs: 300, uplinkMacs: 40 } as const;
/** ProCurve's HP OUI, as base MAC of the simulated switch. */
const BASE_MAC = [0x00, 0x21, 0xf7, 0x5a, 0x10, 0x00] as const;

/**
 * Starts a simulated HP ProCurve switch: an SNMPv2c/v1 agent answering GET, GETNEXT and GETBULK
 * for the system group, IF-MIB, BRIDGE-MIB, Q-BRIDGE-MIB and the ARP table, that sends
 * linkUp/linkDown traps when devices are plugged and unplugged.
 *
 * @example
 * const sim = await startProcurveSimulator({ trapTargets: [{ host: "127.0.0.1", port: 1162 }] });
 * const sw = createProcurveSwitch({ host: sim.host, snmp: { port: sim.port }, uplinks: ["24"], traps: { port: 1162 } });
 * sim.plug("21", { mac: "02:00:00:00:00:21", ip: "10.0.0.21" });
 */
export async function startProcurveSimulator(
  options: ProcurveSimulatorOptions = {},
): Promise<ProcurveSimulator> {
  const o = validateOptions(options);
  const logger = options.logger ?? noopLogger;
  const model = SIMULATED_MODELS[o.model];
  const started = Date.now();
  // TimeTicks wrap at 2^32 centiseconds (497 days), as sysUpTime does.
  const upTime = (): number => (Math.floor((Date.now() - started) / 10) + 1) % 2 ** 32;
  const count = options.ports ?? model.ports;
  const uplinks = new Set(options.uplinks ?? [String(count)]);
  const ports: SimPortState[] = Array.from({ length: count }, (_, i) => {
    const name = String(i + 1);
    const uplink = uplinks.has(name);
    const vlan = o.vlans[name] ?? DEFAULT_VLAN;
    return { name, ifIndex: i + 1, up: uplink, uplink, vlan, lastChange: 0, macs: [] };
  });
  for (const [what, names] of [
    ["Uplink", uplinks],
    ["VLAN port", Object.keys(o.vlans)],
  ] as const) {
    for (const u of names) {
      if (!ports.some((p) => p.name === u)) {
        throw procurveError(
          ErrorCodes.INVALID_ARGUMENT,
          `${what} "${u}" is not a port of this switch (1…${count})`,
        );
      }
    }
  }
  ports.forEach((p, k) => {
    if (p.uplink) p.macs = hostsBehind(k, o.uplinkMacs);
  });
  const fdbIds = assignFdbIds(ports.map((p) => p.vlan));
  const state: SimSwitchState = { model, baseMac: BASE_MAC, ports, fdbIds, arp: new Map(), upTime };
  const mib = new MibStore();
  defineSwitchObjects(mib);
  renderSwitchMib(state, mib);

  const agent = await SnmpAgent.start({ host: o.host, port: o.port, community: o.community, mib, logger });
  const targets: TrapTarget[] = [...o.trapTargets];
  const timers = new Map<string, Set<NodeJS.Timeout>>();
  let trapId = 1;
  let closed = false;

  const portOf = (name: string): SimPortState => {
    const p = ports.find((x) => x.name === String(name));
    if (!p) {
      throw procurveError(
        ErrorCodes.PORT_NOT_FOUND,
        `The simulated switch has no port "${name}" (1…${count})`,
      );
    }
    return p;
  };
  const sendTraps = (p: SimPortState): void => {
    for (const t of targets) {
      const bytes = encodeLinkTrap(
        {
          up: p.up,
          ifIndex: p.ifIndex,
          upTime: upTime(),
          community: t.community ?? o.community,
          enterprise: model.sysObjectId,
          agentAddress: o.host,
        },
        t.version ?? "2c",
        trapId++ & 0x7fffffff,
      );
      agent.send(bytes, t.host, t.port);
    }
  };
  const link = (p: SimPortState, up: boolean, flush: boolean): void => {
    if (p.up === up) return;
    p.up = up;
    p.lastChange = upTime();
    if (!up && flush && !p.uplink) {
      // ProCurve flushes a port's learned addresses at link down.
      for (const m of p.macs) setFdbEntry(mib, m, fdbIdOf(state, p), undefined);
      p.macs = [];
    }
    setPortLink(mib, p);
    logger.debug(`simulated link ${up ? "up" : "down"}`, { port: p.name });
    sendTraps(p);
  };
  const learnNow = (p: SimPortState, mac: string, ip?: string): void => {
    unlearn(mac);
    p.macs.push(mac);
    setFdbEntry(mib, mac, fdbIdOf(state, p), { port: p.ifIndex });
    if (ip) {
      for (const [k, v] of state.arp) {
        if (v !== mac) continue;
        state.arp.delete(k);
        setArpEntry(mib, k, undefined);
      }
      state.arp.set(ip, mac);
      setArpEntry(mib, ip, mac);
    }
  };
  /** `mac` leaves whatever port (and so FDB id) it was learned on. */
  const unlearn = (mac: string): void => {
    for (const other of ports) {
      if (!other.macs.includes(mac)) continue;
      other.macs = other.macs.filter((m) => m !== mac);
      setFdbEntry(mib, mac, fdbIdOf(state, other), undefined);
    }
  };
  const cancelTimers = (p: SimPortState): void => {
    for (const t of timers.get(p.name) ?? []) clearTimeout(t);
    timers.delete(p.name);
  };
  const alive = (): void => {
    if (closed) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The switch simulator is closed");
  };

  return {
    host: o.host,
    port: agent.port,
    community: o.community,
    get stats() {
      return { ...agent.stats };
    },
    plug(port, device) {
      alive();
      const p = portOf(port);
      const mac = normalizeMac(device.mac);
      if (device.ip !== undefined && !isIPv4(device.ip)) {
        throw procurveError(ErrorCodes.INVALID_ARGUMENT, `"${device.ip}" is not an IPv4 address`);
      }
      link(p, true, false);
      if (o.learnDelayMs === 0) return learnNow(p, mac, device.ip);
      const set = timers.get(p.name) ?? new Set();
      timers.set(p.name, set);
      const timer = setTimeout(() => {
        set.delete(timer);
        if (!closed && p.up) learnNow(p, mac, device.ip);
      }, o.learnDelayMs);
      set.add(timer);
    },
    unplug(port) {
      alive();
      const p = portOf(port);
      if (p.uplink)
        throw procurveError(ErrorCodes.INVALID_ARGUMENT, `Port ${p.name} is an uplink; it stays up`);
      cancelTimers(p);
      link(p, false, true);
    },
    addTrapTarget(target) {
      targets.push(validTarget(target));
    },
    ports() {
      return ports.map((p) => ({
        port: p.name,
        ifIndex: p.ifIndex,
        vlan: p.vlan,
        up: p.up,
        macs: [...p.macs],
      }));
    },
    learn(port, mac) {
      alive();
      learnNow(portOf(port), normalizeMac(mac));
    },
    forget(mac) {
      alive();
      unlearn(normalizeMac(mac));
    },
    setLink(port, up) {
      alive();
      const p = portOf(port);
      if (!up) cancelTimers(p);
      link(p, up, false);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const set of timers.values()) for (const t of set) clearTimeout(t);
      timers.clear();
      await agent.close();
    },
  } satisfies ProcurveSimulator;
}

function validTarget(t: TrapTarget): TrapTarget {
  if (!t || typeof t.host !== "string" || t.host.length === 0) {
    throw procurveError(ErrorCodes.INVALID_ARGUMENT, "A trap target needs a host");
  }
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) {
    throw procurveError(ErrorCodes.INVALID_ARGUMENT, `Trap port ${String(t.port)} is not a UDP port`);
  }
  if (t.version !== undefined && t.version !== "1" && t.version !== "2c") {
    throw procurveError(ErrorCodes.INVALID_ARGUMENT, `Trap version "${String(t.version)}" is not 1 or 2c`);
  }
  return { ...t };
}

function validateOptions(opts: ProcurveSimulatorOptions) {
  const out = {
    host: opts.host ?? DEFAULTS.host,
    port: opts.port ?? 0,
    community: opts.community ?? DEFAULTS.community,
    model: opts.model ?? "2810-24G",
    learnDelayMs: opts.learnDelayMs ?? DEFAULTS.learnDelayMs,
    uplinkMacs: opts.uplinkMacs ?? DEFAULTS.uplinkMacs,
    trapTargets: (opts.trapTargets ?? []).map(validTarget),
    vlans: { ...(opts.vlans ?? {}) },
  };
  const bad = (what: string): never => {
    throw procurveError(ErrorCodes.INVALID_ARGUMENT, what);
  };
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535)
    bad(`port ${out.port} is not a UDP port`);
  if (typeof out.community !== "string" || out.community.length === 0)
    bad("community must be a non-empty string");
  if (!(out.model in SIMULATED_MODELS)) {
    bad(`model "${out.model}" is not one of ${Object.keys(SIMULATED_MODELS).join(", ")}`);
  }
  if (opts.ports !== undefined && (!Number.isInteger(opts.ports) || opts.ports < 1 || opts.ports > 256)) {
    bad(`ports must be 1…256, not ${opts.ports}`);
  }
  if (!(out.learnDelayMs >= 0) || out.learnDelayMs > 600_000) bad("learnDelayMs must be 0…600000");
  for (const [port, vid] of Object.entries(out.vlans)) {
    if (!Number.isInteger(vid) || vid < 1 || vid > 4094)
      bad(`VLAN of port ${port} must be 1…4094, not ${vid}`);
  }
  if (!Number.isInteger(out.uplinkMacs) || out.uplinkMacs < 0 || out.uplinkMacs > 4096) {
    bad("uplinkMacs must be 0…4096");
  }
  return out;
}

/** `count` deterministic unicast MACs of hosts behind uplink number `k`. */
function hostsBehind(k: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    [0x00, 0x50, 0x56, k & 0xff, ((i + 1) >> 8) & 0xff, (i + 1) & 0xff]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join(":"),
  );
}
