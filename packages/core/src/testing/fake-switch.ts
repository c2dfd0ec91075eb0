import { abortedError, type SignalOptions, throwIfAborted } from "../abort";
import type {
  ArpEntry,
  FdbEntry,
  SwitchCapabilities,
  SwitchDriver,
  SwitchEvent,
  SwitchIdentity,
  SwitchPort,
  WatchOptions,
} from "../contracts/switch-driver";
import { createError, ErrorCodes, type FactoryError } from "../errors";
import { normalizeMac } from "../mac";

const PKG = "core/fake-switch";

/** A port of the fake switch: a name, or the fields to set. */
export type FakeSwitchPortInput = string | (Partial<Omit<SwitchPort, "name">> & { name: string });

export interface FakeSwitchOptions {
  /** Front-panel ports. Defaults to `1`…`24` with `24` as the uplink. */
  ports?: FakeSwitchPortInput[];
  /** Names of ports that are uplinks (added to those flagged in `ports`). */
  uplinks?: string[];
  /** Capability flags; `arp` defaults to true, `traps` to true, `cli` to false. */
  capabilities?: Partial<SwitchCapabilities>;
  identity?: Partial<SwitchIdentity>;
  name?: string;
}

/** Methods of the fake that can be made to fail. */
export type FakeSwitchMethod = "identify" | "listPorts" | "macsOnPort" | "findMac" | "arp";

interface Listener {
  ports: ReadonlySet<string> | undefined;
  push(event: SwitchEvent): void;
}

/**
 * A scriptable in-memory {@link SwitchDriver}. Everything is scoped to the instance: set ports,
 * learn and forget MACs, raise link up/down, make calls fail, and watch the events the driver
 * reports. Behaves like a real switch where it matters to the stations: uplink MACs are never
 * reported as arrivals, link down flushes the port's MACs, a MAC learned elsewhere moves.
 *
 * @example
 * const sw = createFakeSwitch();
 * sw.linkUp("21");
 * sw.learn("aa:bb:cc:dd:ee:01", "21");
 * await sw.findMac("aa:bb:cc:dd:ee:01"); // { mac, port: "21" }
 */
export class FakeSwitch implements SwitchDriver {
  readonly name: string;
  readonly capabilities: SwitchCapabilities;
  private readonly ports = new Map<string, SwitchPort>();
  private readonly fdb = new Map<string, FdbEntry>();
  private readonly arpTable = new Map<string, string>();
  private readonly failures = new Map<FakeSwitchMethod, { error: FactoryError; remaining: number }>();
  private readonly listeners = new Set<Listener>();
  private readonly identity: SwitchIdentity;
  private unreachable: FactoryError | undefined;
  private closed = false;
  /** Every call made to the driver, in order (method name and first argument). */
  readonly calls: Array<{ method: string; arg?: string }> = [];

  constructor(options: FakeSwitchOptions = {}) {
    this.name = options.name ?? "fake";
    this.capabilities = { traps: true, arp: true, cli: false, ...options.capabilities };
    this.identity = {
      sysDescr: "Fake switch (in-memory)",
      model: "fake",
      fdbSource: "q-bridge",
      ...options.identity,
    };
    const defaults: FakeSwitchPortInput[] = Array.from({ length: 24 }, (_, i) =>
      i === 23 ? { name: "24", uplink: true } : String(i + 1),
    );
    this.setPorts(options.ports ?? defaults, options.uplinks);
  }

  /** Replaces the port list. MACs on ports that no longer exist are forgotten. */
  setPorts(ports: FakeSwitchPortInput[], uplinks: string[] = []): void {
    this.ports.clear();
    ports.forEach((input, i) => {
      const p = typeof input === "string" ? { name: input } : input;
      if (!p.name) throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "A port needs a name");
      this.ports.set(p.name, {
        name: p.name,
        ifIndex: p.ifIndex ?? i + 1,
        operStatus: p.operStatus ?? "down",
        uplink: p.uplink ?? uplinks.includes(p.name),
        ...(p.bridgePort === undefined ? {} : { bridgePort: p.bridgePort }),
        ...(p.alias === undefined ? {} : { alias: p.alias }),
      });
    });
    for (const [mac, entry] of this.fdb) if (!this.ports.has(entry.port)) this.fdb.delete(mac);
  }

  /** Makes `mac` learned on `port` (moving it if it was elsewhere) and reports the change. */
  learn(mac: string, port: string, vlan?: number): void {
    const key = normalizeMac(mac);
    this.port(port);
    const previous = this.fdb.get(key);
    if (previous?.port === port) return;
    if (previous) this.emit({ type: "mac-gone", port: previous.port, mac: key, at: new Date() });
    const entry: FdbEntry = { mac: key, port, ...(vlan === undefined ? {} : { vlan }) };
    this.fdb.set(key, entry);
    this.emit({
      type: "mac-learned",
      port,
      mac: key,
      ...(vlan === undefined ? {} : { vlan }),
      at: new Date(),
    });
  }

  /** Ages `mac` out of the forwarding database. */
  forget(mac: string): void {
    const key = normalizeMac(mac);
    const previous = this.fdb.get(key);
    if (!previous) return;
    this.fdb.delete(key);
    this.emit({ type: "mac-gone", port: previous.port, mac: key, at: new Date() });
  }

  linkUp(port: string): void {
    const p = this.port(port);
    p.operStatus = "up";
    this.emit({ type: "link-up", port, at: new Date() });
  }

  /** Link down; like a real switch, the port's MACs leave the forwarding database. */
  linkDown(port: string): void {
    const p = this.port(port);
    p.operStatus = "down";
    this.emit({ type: "link-down", port, at: new Date() });
    for (const entry of [...this.fdb.values()]) if (entry.port === port) this.forget(entry.mac);
  }

  /** Adds or replaces an ARP entry. */
  setArp(mac: string, ip: string): void {
    this.arpTable.set(normalizeMac(mac), ip);
  }

  /** Makes the next `times` calls of `method` reject with `error` (a coded error). */
  failNext(method: FakeSwitchMethod, error: FactoryError, times = 1): void {
    this.failures.set(method, { error, remaining: times });
  }

  /**
   * Makes the switch unreachable (every call rejects with `SWITCH_UNREACHABLE`, watchers report
   * unhealthy) or reachable again (`false`; watchers report healthy).
   */
  setUnreachable(unreachable: boolean): void {
    const at = new Date();
    if (unreachable) {
      this.unreachable = createError(PKG, ErrorCodes.SWITCH_UNREACHABLE, "The switch does not answer");
      const { code, message } = this.unreachable;
      this.emit({ type: "health", ok: false, error: { code, message }, at }, true);
    } else if (this.unreachable) {
      this.unreachable = undefined;
      this.emit({ type: "health", ok: true, at }, true);
    }
  }

  /** Number of active `watch()` iterations. */
  get watcherCount(): number {
    return this.listeners.size;
  }

  async identify(options?: SignalOptions): Promise<SwitchIdentity> {
    this.enter("identify", options);
    return { ...this.identity };
  }

  async listPorts(options?: SignalOptions): Promise<SwitchPort[]> {
    this.enter("listPorts", options);
    return [...this.ports.values()].map((p) => ({ ...p }));
  }

  async macsOnPort(port: string, options?: SignalOptions): Promise<FdbEntry[]> {
    this.enter("macsOnPort", options, port);
    this.port(port);
    return [...this.fdb.values()].filter((e) => e.port === port).map((e) => ({ ...e }));
  }

  async findMac(mac: string, options?: SignalOptions): Promise<FdbEntry | undefined> {
    this.enter("findMac", options, mac);
    const entry = this.fdb.get(normalizeMac(mac));
    if (!entry || this.ports.get(entry.port)?.uplink) return undefined;
    return { ...entry };
  }

  async arp(options?: SignalOptions): Promise<ArpEntry[]> {
    this.enter("arp", options);
    if (!this.capabilities.arp) {
      throw createError(PKG, ErrorCodes.NOT_SUPPORTED, "This switch has no ARP table to read");
    }
    return [...this.arpTable].map(([mac, ip]) => ({ mac, ip }));
  }

  watch(options: WatchOptions = {}): AsyncIterable<SwitchEvent> {
    const self = this;
    const wanted = options.ports ? new Set(options.ports) : undefined;
    return {
      [Symbol.asyncIterator]: async function* () {
        throwIfAborted(options.signal, PKG);
        if (self.closed) throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "The switch driver is closed");
        const queue: SwitchEvent[] = [];
        let wake: (() => void) | undefined;
        const listener: Listener = {
          ports: wanted,
          push: (event) => {
            queue.push(event);
            wake?.();
          },
        };
        const onAbort = (): void => wake?.();
        options.signal?.addEventListener("abort", onAbort, { once: true });
        self.listeners.add(listener);
        queue.push(
          self.unreachable
            ? {
                type: "health",
                ok: false,
                error: { code: self.unreachable.code, message: self.unreachable.message },
                at: new Date(),
              }
            : { type: "health", ok: true, at: new Date() },
        );
        try {
          while (!options.signal?.aborted && !self.closed) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = undefined;
          }
        } finally {
          self.listeners.delete(listener);
          options.signal?.removeEventListener("abort", onAbort);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.listeners) l.push({ type: "health", ok: true, at: new Date() });
  }

  private port(name: string): SwitchPort {
    const p = this.ports.get(name);
    if (!p) {
      throw createError(PKG, ErrorCodes.PORT_NOT_FOUND, `The switch has no port "${name}"`, {
        details: { port: name, known: [...this.ports.keys()] },
      });
    }
    return p;
  }

  private enter(method: FakeSwitchMethod, options: SignalOptions | undefined, arg?: string): void {
    this.calls.push(arg === undefined ? { method } : { method, arg });
    if (options?.signal?.aborted) throw abortedError(options.signal, PKG);
    if (this.closed) throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "The switch driver is closed");
    if (this.unreachable) throw this.unreachable;
    const failure = this.failures.get(method);
    if (failure) {
      failure.remaining -= 1;
      if (failure.remaining <= 0) this.failures.delete(method);
      throw failure.error;
    }
  }

  private emit(event: SwitchEvent, always = false): void {
    const uplink = "port" in event && this.ports.get(event.port)?.uplink === true;
    for (const l of this.listeners) {
      if (always || event.type === "health") {
        l.push(event);
        continue;
      }
      if (!("port" in event)) continue;
      if (l.ports ? !l.ports.has(event.port) : uplink) continue;
      if (this.unreachable) continue;
      l.push(event);
    }
  }
}

/** Creates a {@link FakeSwitch}. */
export function createFakeSwitch(options?: FakeSwitchOptions): FakeSwitch {
  return new FakeSwitch(options);
}
