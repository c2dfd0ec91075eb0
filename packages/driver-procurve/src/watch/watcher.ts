import {
  ErrorCodes,
  type FactoryError,
  type FdbEntry,
  isAbortError,
  type Logger,
  type SwitchEvent,
  type SwitchPort,
  toFactoryError,
  type WatchOptions,
} from "@factory/core";
import { PKG, procurveError } from "../errors";
import { EventChannel, Waker } from "./channel";

/** What a watcher reads from a switch, over SNMP or the CLI. */
export interface WatchSource {
  ports(signal: AbortSignal): Promise<SwitchPort[]>;
  /** Learned entries of every port, uplinks included. */
  readFdb(signal: AbortSignal): Promise<FdbEntry[]>;
  /**
   * Learned entries of `ports`, read as cheaply as the switch allows (over SNMP: only the FDB
   * of the ports' own VLANs). May miss entries a full read has (a tagged VLAN), never invents
   * any: the watcher reports only arrivals from it. Absent: arrival polls read the whole FDB.
   */
  readPortFdb?(ports: readonly string[], signal: AbortSignal): Promise<FdbEntry[]>;
  /** Link state of every front-panel port, by name. */
  readLinks(signal: AbortSignal): Promise<Map<string, SwitchPort["operStatus"]>>;
  /** Pushed link changes (traps); resolves to an unsubscribe function. Absent when not configured. */
  subscribeLinks?(
    onLink: (port: string, up: boolean) => void,
    onRejected: (error: FactoryError) => void,
  ): Promise<() => void>;
}

export interface WatchTiming {
  /** Regular FDB + link poll interval, ms (2000): the fallback when traps are lost. */
  pollIntervalMs: number;
  /**
   * First wait between arrival reads after a link up, ms (100). Arrival reads ask only for the
   * port's entries; the wait doubles after each read that finds nothing, up to `arrivalMaxPollMs`.
   */
  arrivalPollMs: number;
  /** Longest wait between arrival reads, ms (1000). */
  arrivalMaxPollMs: number;
  /** How long to look for an arrival after a link up, ms (10000); the regular poll goes on after. */
  arrivalDeadlineMs: number;
  /** Longest wait between retries while the switch fails, ms (30000). */
  maxBackoffMs: number;
}

export const DEFAULT_TIMING: WatchTiming = {
  pollIntervalMs: 2000,
  arrivalPollMs: 100,
  arrivalMaxPollMs: 1000,
  arrivalDeadlineMs: 10_000,
  maxBackoffMs: 30_000,
};

/**
 * Joins pushed link events (traps) with FDB polls into one event stream. The first event is
 * `health ok` once the baseline is read; the baseline itself is not reported. After a link up
 * (trap or poll) the port's own entries are read at once and then after `arrivalPollMs`,
 * doubling up to `arrivalMaxPollMs`, until a MAC shows on that port or `arrivalDeadlineMs`
 * passes; the MACs seen there are reported as learned (the switch flushed the port on link
 * down). A bridge learns a MAC only when the unit sends a frame, so the first reads may find
 * nothing. The whole FDB and the links are still read every `pollIntervalMs`, and at once after
 * a link down, so a lost trap costs at most one interval.
 * Errors become `health` events and the watcher retries with back-off; it ends only on abort.
 */
export function watchSwitch(
  source: WatchSource,
  options: WatchOptions,
  timing: WatchTiming,
  logger: Logger,
): AsyncIterable<SwitchEvent> {
  return {
    [Symbol.asyncIterator]: () => {
      const controller = new AbortController();
      const parent = options.signal;
      const onAbort = (): void => controller.abort(parent?.reason);
      if (parent?.aborted) controller.abort(parent.reason);
      else parent?.addEventListener("abort", onAbort, { once: true });
      const channel = new EventChannel<SwitchEvent | { type: "fatal"; error: FactoryError }>();
      const run = new WatchRun(source, options, timing, logger, channel, controller.signal);
      void run.start().finally(() => channel.end());
      const inner = channel.drain(controller.signal);
      const stop = (): void => {
        parent?.removeEventListener("abort", onAbort);
        controller.abort();
      };
      return {
        async next(): Promise<IteratorResult<SwitchEvent>> {
          const r = await inner.next();
          if (r.done) {
            stop();
            return { done: true, value: undefined };
          }
          if (r.value.type === "fatal") {
            stop();
            throw r.value.error;
          }
          return { done: false, value: r.value };
        },
        async return(): Promise<IteratorResult<SwitchEvent>> {
          stop();
          await inner.return(undefined);
          return { done: true, value: undefined };
        },
      };
    },
  };
}

class WatchRun {
  private macs = new Map<string, FdbEntry>();
  private links = new Map<string, SwitchPort["operStatus"]>();
  private watched = new Set<string>();
  /** Ports that came up and show no MAC yet: when to give up, when to read next, the next wait. */
  private readonly arrivals = new Map<string, { until: number; next: number; step: number }>();
  private readonly pendingLinks: Array<{ port: string; up: boolean }> = [];
  private readonly waker = new Waker();
  private healthy: boolean | undefined;
  private lastErrorCode: string | undefined;
  private pollSoon = false;

  constructor(
    private readonly source: WatchSource,
    private readonly options: WatchOptions,
    private readonly timing: WatchTiming,
    private readonly logger: Logger,
    private readonly out: EventChannel<SwitchEvent | { type: "fatal"; error: FactoryError }>,
    private readonly signal: AbortSignal,
  ) {}

  async start(): Promise<void> {
    let unsubscribe: (() => void) | undefined;
    try {
      if (this.source.subscribeLinks) {
        unsubscribe = await this.source.subscribeLinks(
          (port, up) => {
            this.pendingLinks.push({ port, up });
            this.waker.notify();
          },
          (error) =>
            this.emit({ type: "health", ok: this.healthy !== false, error: brief(error), at: new Date() }),
        );
      }
      await this.loop();
    } catch (error) {
      if (!this.signal.aborted) this.out.push({ type: "fatal", error: toFactoryError(error, PKG) });
    } finally {
      unsubscribe?.();
    }
  }

  private async loop(): Promise<void> {
    let backoff = this.timing.pollIntervalMs;
    // Baseline: ports, links and FDB, retried until the switch answers.
    while (!this.signal.aborted) {
      try {
        await this.baseline();
        this.setHealth(true);
        break;
      } catch (error) {
        if (this.isFatal(error)) throw error;
        this.setHealth(false, error);
        await this.waker.wait(backoff, this.signal);
        backoff = Math.min(backoff * 2, this.timing.maxBackoffMs);
      }
    }
    let lastFull = Date.now();
    let lastLinkPoll = lastFull;
    backoff = this.timing.pollIntervalMs;
    const fullAt = (): number => lastFull + (this.healthy === false ? backoff : this.timing.pollIntervalMs);
    while (!this.signal.aborted) {
      if (this.pendingLinks.length === 0 && !this.pollSoon) {
        await this.waker.wait(Math.min(fullAt(), this.nextArrival()) - Date.now(), this.signal);
      }
      if (this.signal.aborted) return;
      this.applyLinks();
      const now = Date.now();
      const full = this.pollSoon || now >= fullAt();
      const ports = full ? [] : this.dueArrivals(now);
      if (!full && ports.length === 0) continue;
      try {
        if (full) {
          this.pollSoon = false;
          lastFull = now;
          const withLinks = now >= lastLinkPoll + this.timing.pollIntervalMs || this.healthy === false;
          await this.poll(withLinks);
          if (withLinks) lastLinkPoll = now;
        } else {
          await this.pollArrivals(ports);
        }
        backoff = this.timing.pollIntervalMs;
        this.setHealth(true);
      } catch (error) {
        if (this.signal.aborted || isAbortError(error)) return;
        this.setHealth(false, error);
        lastFull = now;
        backoff = Math.min(backoff * 2, this.timing.maxBackoffMs);
      }
    }
  }

  /** When the next arrival read is due (Infinity when none is, or while the switch fails). */
  private nextArrival(): number {
    if (this.healthy === false) return Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const a of this.arrivals.values()) next = Math.min(next, a.next);
    return next;
  }

  /** Ports whose arrival read is due now; drops the ones past their deadline. */
  private dueArrivals(now: number): string[] {
    if (this.healthy === false) return [];
    const due: string[] = [];
    for (const [port, a] of this.arrivals) {
      if (now > a.until) this.arrivals.delete(port);
      else if (now >= a.next) due.push(port);
    }
    return due;
  }

  private async baseline(): Promise<void> {
    const ports = await this.source.ports(this.signal);
    const names = new Set(ports.map((p) => p.name));
    const unknown = (this.options.ports ?? []).filter((p) => !names.has(p));
    if (unknown.length > 0) {
      throw procurveError(
        ErrorCodes.PORT_NOT_FOUND,
        `The switch has no port ${unknown.map((p) => `"${p}"`).join(", ")}`,
        {
          details: { ports: unknown, known: [...names] },
        },
      );
    }
    this.watched = new Set(this.options.ports ?? ports.filter((p) => !p.uplink).map((p) => p.name));
    this.links = new Map(
      [...(await this.source.readLinks(this.signal))].filter(([p]) => this.watched.has(p)),
    );
    this.macs = this.onWatched(await this.source.readFdb(this.signal));
  }

  private applyLinks(): void {
    for (const { port, up } of this.pendingLinks.splice(0)) {
      if (!this.watched.has(port)) continue;
      // A trap is a fact: report it even if the last poll already saw the new state.
      this.setLink(port, up ? "up" : "down", true);
      if (!up) this.pollSoon = true; // the whole read reports what left
    }
  }

  private setLink(port: string, status: SwitchPort["operStatus"], fromTrap = false): void {
    const before = this.links.get(port);
    this.links.set(port, status);
    if ((before === status && !fromTrap) || status === "unknown") return;
    this.emit({ type: status === "up" ? "link-up" : "link-down", port, at: new Date() });
    if (status === "up") {
      // The switch flushed this port on link down: what shows here now is an arrival. The MACs
      // known on it stay known until a read says otherwise (a late trap for a unit that is still
      // there changes nothing; one that left is reported gone by the next read of the port that
      // shows what is there now, or by the next whole read).
      const now = Date.now();
      this.arrivals.set(port, {
        until: now + this.timing.arrivalDeadlineMs,
        next: now,
        step: this.timing.arrivalPollMs,
      });
      this.waker.notify();
    } else {
      this.arrivals.delete(port);
    }
  }

  private async poll(withLinks: boolean): Promise<void> {
    const t0 = Date.now();
    const fdb = await this.source.readFdb(this.signal);
    this.logger.debug("switch poll", { scope: "all", ms: Date.now() - t0, entries: fdb.length });
    if (withLinks) {
      const links = await this.source.readLinks(this.signal);
      for (const [port, status] of links) if (this.watched.has(port)) this.setLink(port, status);
    }
    this.applyLinks(); // traps that came in while polling, before the diff
    const next = this.onWatched(fdb);
    const at = new Date();
    for (const [mac, e] of next) {
      const old = this.macs.get(mac);
      if (old && old.port === e.port) continue;
      if (old) this.emit({ type: "mac-gone", port: old.port, mac, ...vlan(old), at });
      this.emit({ type: "mac-learned", port: e.port, mac, ...vlan(e), at });
    }
    for (const [mac, old] of this.macs) {
      if (!next.has(mac)) this.emit({ type: "mac-gone", port: old.port, mac, ...vlan(old), at });
    }
    this.macs = next;
    const now = Date.now();
    for (const [port, a] of this.arrivals) {
      if (now > a.until || [...next.values()].some((e) => e.port === port)) this.arrivals.delete(port);
    }
  }

  /**
   * Reads only `ports` (ports waiting for an arrival) and reports the MACs new on them, and the
   * known MACs gone from a port that now shows others in the same VLAN (a unit swapped while its
   * link-down trap was lost). An empty port read says nothing (the bridge may not have learned
   * yet): the whole read reports departures. Without `readPortFdb` in the source this is a
   * whole read.
   */
  private async pollArrivals(ports: string[]): Promise<void> {
    if (!this.source.readPortFdb) {
      await this.poll(false);
      this.backOffArrivals(ports);
      return;
    }
    const t0 = Date.now();
    const entries = await this.source.readPortFdb(ports, this.signal);
    this.logger.debug("switch poll", { scope: "ports", ports, ms: Date.now() - t0, entries: entries.length });
    // Links that changed during the read are applied after its report (the next turn of the
    // loop): a link down then comes after the MAC it read, and its whole read reports it gone.
    const at = new Date();
    // A port that shows MACs now has lost the known ones it does not show (in the VLANs read).
    for (const port of ports) {
      const seen = entries.filter((e) => e.port === port);
      if (seen.length === 0) continue;
      const read = new Set(seen.map((e) => e.vlan));
      for (const [mac, old] of this.macs) {
        if (old.port !== port || seen.some((e) => e.mac === mac)) continue;
        if (old.vlan !== undefined && !read.has(old.vlan) && !read.has(undefined)) continue;
        this.macs.delete(mac);
        this.emit({ type: "mac-gone", port, mac, ...vlan(old), at });
      }
    }
    for (const e of entries) {
      if (!ports.includes(e.port)) continue;
      const old = this.macs.get(e.mac);
      if (old && old.port === e.port) continue;
      if (old) this.emit({ type: "mac-gone", port: old.port, mac: e.mac, ...vlan(old), at });
      this.emit({ type: "mac-learned", port: e.port, mac: e.mac, ...vlan(e), at });
      this.macs.set(e.mac, e);
    }
    for (const port of ports) {
      if (entries.some((e) => e.port === port)) this.arrivals.delete(port);
    }
    this.backOffArrivals(ports);
  }

  /** Ports still waiting after a read wait twice as long (up to `arrivalMaxPollMs`) for the next. */
  private backOffArrivals(ports: string[]): void {
    const now = Date.now();
    for (const port of ports) {
      const a = this.arrivals.get(port);
      if (!a) continue;
      a.next = now + a.step;
      a.step = Math.min(a.step * 2, this.timing.arrivalMaxPollMs);
    }
  }

  private onWatched(entries: FdbEntry[]): Map<string, FdbEntry> {
    return new Map(entries.filter((e) => this.watched.has(e.port)).map((e) => [e.mac, e] as const));
  }

  private setHealth(ok: boolean, error?: unknown): void {
    const coded = error === undefined ? undefined : toFactoryError(error, PKG);
    if (ok === this.healthy && coded?.code === this.lastErrorCode) return;
    this.healthy = ok;
    this.lastErrorCode = coded?.code;
    if (coded) this.logger.warn("switch watch unhealthy", { code: coded.code, error: coded.message });
    this.emit({ type: "health", ok, ...(coded ? { error: brief(coded) } : {}), at: new Date() });
  }

  private isFatal(error: unknown): boolean {
    return toFactoryError(error, PKG).code === ErrorCodes.PORT_NOT_FOUND;
  }

  private emit(event: SwitchEvent): void {
    if (!this.signal.aborted) this.out.push(event);
  }
}

function brief(error: FactoryError): { code: string; message: string } {
  return { code: error.code, message: error.message };
}

function vlan(e: FdbEntry): { vlan?: number } {
  return e.vlan === undefined ? {} : { vlan: e.vlan };
}
