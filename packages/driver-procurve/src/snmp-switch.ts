import { isIP } from "node:net";
import {
  type ArpEntry,
  ErrorCodes,
  type FdbEntry,
  type Logger,
  noopLogger,
  normalizeMac,
  type SignalOptions,
  type SwitchCapabilities,
  type SwitchDriver,
  type SwitchEvent,
  type SwitchIdentity,
  type SwitchPort,
  throwIfAborted,
  type WatchOptions,
} from "@factory/core";
import { PKG, procurveError } from "./errors";
import { HP_MODELS, Oid } from "./oids";
import { readArp } from "./snmp/arp";
import { type NetSnmpSession, SnmpClient, type SnmpOptions } from "./snmp/client";
import { type FdbSource, type RawFdbRow, readFdb, readVlanMap, type StatusCache } from "./snmp/fdb";
import { readFdbOfIds, readPvids } from "./snmp/port-fdb";
import { type PortMap, readOperStatus, readPortMap } from "./snmp/port-map";
import { TrapListener, type TrapListenerOptions } from "./snmp/trap-listener";
import { DEFAULT_TIMING, type WatchSource, type WatchTiming, watchSwitch } from "./watch/watcher";

export interface TrapOptions extends Partial<TrapListenerOptions> {
  /** A listener shared with other drivers; this driver then does not close it. */
  listener?: TrapListener;
}

export interface SnmpSwitchOptions {
  snmp: SnmpOptions;
  /** Front-panel names (or aliases) of uplinks; trunks (`Trk1`, ifType 161) always are. */
  uplinks?: string[];
  /** Name ports by `ifName` (default) or `ifDescr`. */
  portNames?: "ifName" | "ifDescr";
  /**
   * Link traps. Without this the watcher polls. `communities` defaults to the SNMP community;
   * `allowedSources` defaults to the switch address.
   */
  traps?: TrapOptions;
  /** Watch timing (poll interval, fast poll after link up). */
  timing?: Partial<WatchTiming>;
  /** How long the port map (names, bridge ports, VLANs) is reused, ms (60000). */
  portCacheMs?: number;
  /**
   * How long the FDB status column (learned / self / mgmt) is reused between reads, ms (60000);
   * 0 reads it every time.
   */
  fdbStatusMaxAgeMs?: number;
  /** An SNMP session to use instead of opening one (its credentials are the caller's). */
  session?: NetSnmpSession;
}

/**
 * A ProCurve (or any bridge-MIB) switch read over SNMP v1/v2c/v3: FDB from Q-BRIDGE-MIB with
 * BRIDGE-MIB as fallback, ports named as on the front panel, link traps joined with polls.
 */
export class SnmpSwitch implements SwitchDriver {
  readonly name = "procurve";
  readonly capabilities: SwitchCapabilities;
  private readonly client: SnmpClient;
  private readonly uplinks: ReadonlySet<string>;
  private map: { at: number; ports: PortMap; vlans: Map<number, number> } | undefined;
  /** dot1qPvid by bridge port, read with (and dropped with) the port map; null: not answered. */
  private pvids: { map: PortMap; byBridgePort: Map<number, number | null> } | undefined;
  private source: FdbSource | undefined;
  private readonly statusCache: StatusCache;
  private listener: TrapListener | undefined;
  private readonly ownsListener: boolean;
  private readonly timing: WatchTiming;
  private readonly watchers = new Set<AbortController>();
  private closed = false;

  constructor(
    private readonly options: SnmpSwitchOptions,
    private readonly logger: Logger = noopLogger,
  ) {
    this.client = new SnmpClient(options.snmp, logger, options.session);
    this.uplinks = new Set(options.uplinks ?? []);
    this.statusCache = { maxAgeMs: options.fdbStatusMaxAgeMs ?? 60_000 };
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    for (const [k, v] of Object.entries(this.timing)) {
      if (typeof v !== "number" || !(v > 0))
        throw procurveError(ErrorCodes.INVALID_ARGUMENT, `timing.${k} must be > 0`);
    }
    const t = options.traps;
    if (t) {
      this.listener =
        t.listener ??
        new TrapListener(
          {
            ...t,
            communities: t.communities ?? [options.snmp.community ?? "public"],
            allowedSources: t.allowedSources ?? (isIP(options.snmp.host) ? [options.snmp.host] : []),
          },
          logger,
        );
    }
    this.ownsListener = t !== undefined && !t.listener;
    this.capabilities = { traps: t !== undefined, arp: true, cli: false };
  }

  async identify(options: SignalOptions = {}): Promise<SwitchIdentity> {
    this.enter(options);
    const got = await this.client.get([Oid.sysDescr, Oid.sysObjectID, Oid.sysName], options);
    const descr = got.get(Oid.sysDescr);
    if (descr === undefined) {
      throw procurveError(
        ErrorCodes.SWITCH_UNSUPPORTED,
        `${this.client.target} has no sysDescr: not a managed switch`,
      );
    }
    const sysDescr = Buffer.isBuffer(descr) ? descr.toString("utf8") : String(descr);
    const oid = got.get(Oid.sysObjectID);
    const sysObjectId = typeof oid === "string" ? oid : undefined;
    if (this.source === undefined) await this.fdb(options.signal);
    const firmware = /revision ([A-Z]{1,2}\.\d{2}\.\d{2}(\.\d+)?)/.exec(sysDescr)?.[1];
    const model = (sysObjectId && HP_MODELS[sysObjectId]) || /Switch ([\w-]+)/.exec(sysDescr)?.[1];
    return {
      sysDescr,
      ...(sysObjectId ? { sysObjectId } : {}),
      ...(model ? { model } : {}),
      ...(firmware ? { firmware } : {}),
      ...(this.source ? { fdbSource: this.source } : {}),
    };
  }

  async listPorts(options: SignalOptions = {}): Promise<SwitchPort[]> {
    this.enter(options);
    const map = await this.portMap(options.signal, true);
    return map.ports.map((p) => ({ ...p }));
  }

  async macsOnPort(port: string, options: SignalOptions = {}): Promise<FdbEntry[]> {
    this.enter(options);
    if (typeof port !== "string" || port.length === 0) {
      throw procurveError(ErrorCodes.INVALID_ARGUMENT, 'A port name is needed (e.g. "21")');
    }
    let map = await this.portMap(options.signal);
    if (!map.byName.has(port)) map = await this.portMap(options.signal, true);
    if (!map.byName.has(port)) {
      throw procurveError(ErrorCodes.PORT_NOT_FOUND, `${this.client.target} has no port "${port}"`, {
        details: { port, known: [...map.byName.keys()] },
      });
    }
    return (await this.fdb(options.signal)).filter((e) => e.port === port);
  }

  async findMac(mac: string, options: SignalOptions = {}): Promise<FdbEntry | undefined> {
    this.enter(options);
    const wanted = normalizeMac(mac);
    const entries = (await this.fdb(options.signal)).filter((e) => e.mac === wanted);
    const map = await this.portMap(options.signal);
    return entries.find((e) => map.byName.get(e.port)?.uplink === false);
  }

  async arp(options: SignalOptions = {}): Promise<ArpEntry[]> {
    this.enter(options);
    return readArp(this.client, options.signal);
  }

  watch(options: WatchOptions = {}): AsyncIterable<SwitchEvent> {
    const own = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
    const timing = options.pollIntervalMs
      ? { ...this.timing, pollIntervalMs: options.pollIntervalMs }
      : this.timing;
    const iterable = watchSwitch(this.watchSource(), { ...options, signal }, timing, this.logger);
    const watchers = this.watchers;
    const closed = (): boolean => this.closed;
    return {
      [Symbol.asyncIterator]() {
        throwIfAborted(options.signal, PKG);
        if (closed()) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The switch driver is closed");
        watchers.add(own);
        const it = iterable[Symbol.asyncIterator]();
        const done = (): void => {
          watchers.delete(own);
        };
        return {
          next: () =>
            it.next().then(
              (r) => {
                if (r.done) done();
                return r;
              },
              (e: unknown) => {
                done();
                throw e;
              },
            ),
          return: () => {
            done();
            return it.return?.() ?? Promise.resolve({ done: true as const, value: undefined });
          },
        };
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watchers) w.abort();
    this.watchers.clear();
    if (this.ownsListener) this.listener?.close();
    this.client.close();
  }

  /** Learned FDB entries with front-panel names and VLAN ids, uplinks included. */
  private async fdb(signal?: AbortSignal): Promise<FdbEntry[]> {
    const raw = await readFdb(this.client, this.source, signal, this.statusCache);
    this.source = raw.source;
    if (raw.malformed > 0) {
      this.logger.warn("skipped malformed FDB rows", { target: this.client.target, rows: raw.malformed });
    }
    let map = await this.portMap(signal);
    if (raw.rows.some((r) => !map.byBridgePort.has(r.bridgePort)) && Date.now() - this.map!.at > 5000) {
      map = await this.portMap(signal, true);
    }
    return this.entries(raw.rows, map);
  }

  /** Rows with front-panel names and VLAN ids; rows of CPU or internal ports are dropped. */
  private entries(rows: RawFdbRow[], map: PortMap): FdbEntry[] {
    const vlans = this.map!.vlans;
    const out: FdbEntry[] = [];
    for (const row of rows) {
      const port = map.byBridgePort.get(row.bridgePort);
      if (!port) continue; // CPU or internal port, not on the front panel
      const vlan = row.fdbId === undefined ? undefined : vlans.size > 0 ? vlans.get(row.fdbId) : row.fdbId;
      out.push({ mac: row.mac, port: port.name, ...(vlan === undefined ? {} : { vlan }) });
    }
    return out;
  }

  /**
   * Learned entries of a few ports without the whole FDB: over Q-BRIDGE, the rows of the ports'
   * own VLANs (dot1qPvid → FDB id), one small subtree each. A port in another VLAN's FDB (tagged
   * traffic) is missed here and found by the next whole read. Falls back to the whole FDB when
   * the switch answers only BRIDGE-MIB (indexed by MAC alone: no port or VLAN range to walk) or
   * does not tell a port's PVID.
   */
  private async portFdb(names: readonly string[], signal?: AbortSignal): Promise<FdbEntry[]> {
    const wanted = new Set(names);
    const whole = async (why: string): Promise<FdbEntry[]> => {
      this.logger.debug("port FDB read", { ports: names, via: "whole", why });
      return (await this.fdb(signal)).filter((e) => wanted.has(e.port));
    };
    if (this.source !== "q-bridge") return whole("no Q-BRIDGE FDB");
    const map = await this.portMap(signal);
    const ports = names.map((n) => map.byName.get(n));
    if (ports.some((p) => p === undefined || p.uplink)) return whole("uplink or unknown port");
    const bridgePorts = ports.map((p) => p!.bridgePort ?? p!.ifIndex);
    const fdbIds = await this.fdbIdsOf(bridgePorts, map, signal);
    if (!fdbIds) return whole("no dot1qPvid for the port");
    this.logger.debug("port FDB read", { ports: names, via: "fdb-id", fdbIds });
    const raw = await readFdbOfIds(this.client, fdbIds, signal);
    if (raw.malformed > 0) {
      this.logger.warn("skipped malformed FDB rows", { target: this.client.target, rows: raw.malformed });
    }
    return this.entries(raw.rows, map).filter((e) => wanted.has(e.port));
  }

  /** The FDB ids the ports' untagged VLANs learn into; undefined when a PVID is unknown. */
  private async fdbIdsOf(
    bridgePorts: number[],
    map: PortMap,
    signal?: AbortSignal,
  ): Promise<number[] | undefined> {
    if (this.pvids?.map !== map) this.pvids = { map, byBridgePort: new Map() };
    const known = this.pvids.byBridgePort;
    const missing = bridgePorts.filter((bp) => !known.has(bp));
    if (missing.length > 0) {
      const read = await readPvids(this.client, missing, signal);
      for (const bp of missing) known.set(bp, read.get(bp) ?? null);
    }
    const vlans = this.map!.vlans;
    const ids: number[] = [];
    for (const bp of bridgePorts) {
      const vid = known.get(bp);
      if (vid === null || vid === undefined) return undefined;
      // dot1qVlanFdbId maps FDB id → VLAN; without it the FDB id is taken to be the VLAN id.
      const id = vlans.size > 0 ? [...vlans].find(([, v]) => v === vid)?.[0] : vid;
      if (id === undefined) return undefined;
      ids.push(id);
    }
    return ids;
  }

  private async portMap(signal?: AbortSignal, fresh = false): Promise<PortMap> {
    const ttl = this.options.portCacheMs ?? 60_000;
    if (!fresh && this.map && Date.now() - this.map.at < ttl) return this.map.ports;
    const [ports, vlans] = await Promise.all([
      readPortMap(
        this.client,
        { uplinks: this.uplinks, portNames: this.options.portNames ?? "ifName" },
        signal,
      ),
      readVlanMap(this.client, signal),
    ]);
    this.map = { at: Date.now(), ports, vlans };
    return ports;
  }

  private watchSource(): WatchSource {
    const source: WatchSource = {
      ports: async (signal) => (await this.portMap(signal, true)).ports,
      readFdb: (signal) => this.fdb(signal),
      readPortFdb: (ports, signal) => this.portFdb(ports, signal),
      readLinks: async (signal) => {
        const [oper, map] = await Promise.all([readOperStatus(this.client, signal), this.portMap(signal)]);
        return new Map(map.ports.map((p) => [p.name, oper.get(p.ifIndex) ?? p.operStatus] as const));
      },
    };
    const listener = this.listener;
    if (listener) {
      source.subscribeLinks = async (onLink, onRejected) => {
        await listener.start();
        return listener.subscribe({
          onLink: (trap) => {
            const port = this.map?.ports.byIfIndex.get(trap.ifIndex);
            if (port) onLink(port.name, trap.kind === "link-up");
            else
              this.logger.debug("link trap for an interface that is not a front-panel port", {
                ifIndex: trap.ifIndex,
              });
          },
          onRejected,
        });
      };
    }
    return source;
  }

  private enter(options: SignalOptions): void {
    throwIfAborted(options.signal, PKG);
    if (this.closed) throw procurveError(ErrorCodes.INVALID_ARGUMENT, "The switch driver is closed");
  }
}
