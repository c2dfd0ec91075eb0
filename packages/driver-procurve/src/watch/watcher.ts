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
  /** Link state of every front-panel port, by name. */
  readLinks(signal: AbortSignal): Promise<Map<string, SwitchPort["operStatus"]>>;
  /** Pushed link changes (traps); resolves to an unsubscribe function. Absent when not configured. */
  subscribeLinks?(
    onLink: (port: string, up: boolean) => void,
    onRejected: (error: FactoryError) => void,
  ): Promise<() => void>;
}

export interface WatchTiming {
  /** Regular FDB + link poll interval, ms (2000). */
  pollIntervalMs: number;
  /** FDB poll interval after a link up until a MAC appears, ms (100). */
  arrivalPollMs: number;
  /** How long to keep polling quickly after a link up, ms (10000). */
  arrivalDeadlineMs: number;
  /** Longest wait between retries while the switch fails, ms (30000). */
  maxBackoffMs: number;
}

export const DEFAULT_TIMING: WatchTiming = {
  pollIntervalMs: 2000,
  arrivalPollMs: 100,
  arrivalDeadlineMs: 10_000,
  maxBackoffMs: 30_000,
};

/**
 * Joins pushed link events (traps) with FDB polls into one event stream. The first event is
 * `health ok` once the baseline is read; the baseline itself is not reported. After a link up
 * the FDB is polled every `arrivalPollMs` until a MAC shows on that port or the deadline passes,
 * and the MACs seen there are reported as learned (the switch flushed the port on link down).
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
  private readonly fastUntil = new Map<string, number>();
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
    let lastPoll = Date.now();
    let lastLinkPoll = lastPoll;
    backoff = this.timing.pollIntervalMs;
    while (!this.signal.aborted) {
      const fast = this.fastUntil.size > 0;
      const interval =
        this.healthy === false ? backoff : fast ? this.timing.arrivalPollMs : this.timing.pollIntervalMs;
      if (this.pendingLinks.length === 0 && !this.pollSoon) {
        await this.waker.wait(lastPoll + interval - Date.now(), this.signal);
      }
      if (this.signal.aborted) return;
      this.applyLinks();
      const now = Date.now();
      const due =
        this.pollSoon || now >= lastPoll + (this.fastUntil.size > 0 ? this.timing.arrivalPollMs : interval);
      if (!due) continue;
      this.pollSoon = false;
      lastPoll = now;
      try {
        const withLinks = now >= lastLinkPoll + this.timing.pollIntervalMs || this.healthy === false;
        await this.poll(withLinks);
        if (withLinks) lastLinkPoll = now;
        backoff = this.timing.pollIntervalMs;
        this.setHealth(true);
      } catch (error) {
        if (this.signal.aborted || isAbortError(error)) return;
        this.setHealth(false, error);
        backoff = Math.min(backoff * 2, this.timing.maxBackoffMs);
      }
    }
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
      if (!up) this.pollSoon = true;
    }
  }

  private setLink(port: string, status: SwitchPort["operStatus"], fromTrap = false): void {
    const before = this.links.get(port);
    this.links.set(port, status);
    if ((before === status && !fromTrap) || status === "unknown") return;
    this.emit({ type: status === "up" ? "link-up" : "link-down", port, at: new Date() });
    if (status === "up") {
      // The switch flushed this port on link down: what shows here now is an arrival.
      for (const [mac, e] of this.macs) if (e.port === port) this.macs.delete(mac);
      this.fastUntil.set(port, Date.now() + this.timing.arrivalDeadlineMs);
      this.pollSoon = true;
    }
  }

  private async poll(withLinks: boolean): Promise<void> {
    const fdb = await this.source.readFdb(this.signal);
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
    for (const [port, until] of this.fastUntil) {
      if (now > until || [...next.values()].some((e) => e.port === port)) this.fastUntil.delete(port);
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
