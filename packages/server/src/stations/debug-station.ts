import {
  type Logger,
  noopLogger,
  normalizeMac,
  type SwitchDriver,
  toFactoryError,
  type UnitStore,
  withDeadline,
} from "@factory/core";
import type { ContactBook } from "./contact-book";
import { collectLogs, type LogItem, type SshTarget } from "./ssh-collect";

/** One unit's visit to the debug port, as the debug page shows it. */
export interface DebugRun {
  mac: string;
  serial: string | null;
  status: "resolving" | "collecting" | "stored" | "failed";
  address: string | null;
  /** The unit's SSH port, when its contact gave one (units sharing one host); else the configured port. */
  sshPort?: number;
  /** Which source gave the address. */
  via: "contacts" | "arp" | null;
  at: string;
  logId?: string;
  /** Names of the collected items. */
  items?: string[];
  error?: { code: string; message: string };
}

/** Where collected logs go: the store in the server, `POST /api/debug-logs` from another host. */
export interface DebugLogSink {
  unitSerial(mac: string, signal: AbortSignal): Promise<{ known: boolean; serial?: string }>;
  save(mac: string, entries: Record<string, string>, collectedAt: Date, signal: AbortSignal): Promise<string>;
}

/** A sink over the server's own store; every save is audited as `actor`. */
export function storeDebugSink(store: UnitStore, actor: string): DebugLogSink {
  return {
    async unitSerial(mac, signal) {
      const unit = await store.getUnit(mac, { signal });
      return unit ? { known: true, ...(unit.serial && { serial: unit.serial }) } : { known: false };
    },
    async save(mac, entries, collectedAt, signal) {
      const saved = await store.addDebugLog({ mac, collectedAt, entries }, { signal });
      await store.appendAudit({ at: new Date(), actor, action: "debug-logs.saved", mac }, { signal });
      return saved.id;
    },
  };
}

export interface DebugStationOptions {
  switch: SwitchDriver;
  /** The debug port's front-panel name (seed 002: `22`). */
  port: string;
  sink: DebugLogSink;
  contacts?: ContactBook;
  addressSources: ("contacts" | "arp")[];
  ssh: Omit<SshTarget, "host">;
  commandTimeoutMs: number;
  maxOutputBytes: number;
  items?: readonly LogItem[];
  logger?: Logger;
}

/**
 * The debug station of seed 002: a unit plugged into the debug port → its address (where it last
 * talked to this server from, else the switch's ARP table) → SSH → the seed's log list → stored.
 * Units are handled one at a time in arrival order; a unit already being handled is not queued
 * twice. Failures are recorded per unit (`DebugRun.error`) and never stop the station.
 */
export class DebugStation {
  private readonly runs: DebugRun[] = [];
  private readonly listeners = new Set<(run: DebugRun) => void>();
  private readonly pending = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly options: DebugStationOptions) {
    this.log = (options.logger ?? noopLogger).child({ station: "debug", port: options.port });
  }

  /** The newest runs first (at most 50). */
  get history(): DebugRun[] {
    return [...this.runs];
  }

  subscribe(listener: (run: DebugRun) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watches the debug port until the signal fires; units already there are handled first. */
  async run({ signal }: { signal: AbortSignal }): Promise<void> {
    try {
      const present = await this.options.switch.macsOnPort(this.options.port, { signal });
      for (const entry of present) this.arrived(entry.mac, signal);
    } catch (error) {
      this.log.warn("Could not read the debug port's MACs at start", {
        error: toFactoryError(error).message,
      });
    }
    for await (const event of this.options.switch.watch({ ports: [this.options.port], signal })) {
      if (signal.aborted) break;
      if (event.type === "mac-learned" && event.port === this.options.port) this.arrived(event.mac, signal);
    }
    await this.queue;
  }

  /** Handles a unit on the debug port (also callable by hand: "collect again"). Resolves when done. */
  arrived(rawMac: string, signal: AbortSignal): Promise<void> {
    const mac = normalizeMac(rawMac);
    if (this.pending.has(mac)) return this.queue;
    this.pending.add(mac);
    this.queue = this.queue.then(() =>
      this.handle(mac, signal).finally(() => {
        this.pending.delete(mac);
      }),
    );
    return this.queue;
  }

  private update(run: DebugRun, patch: Partial<DebugRun>): void {
    Object.assign(run, patch, { at: new Date().toISOString() });
    const copy = { ...run };
    for (const l of this.listeners) {
      try {
        l(copy);
      } catch (error) {
        this.log.error("debug station listener threw", { error: String(error) });
      }
    }
  }

  private async handle(mac: string, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const run: DebugRun = {
      mac,
      serial: null,
      status: "resolving",
      address: null,
      via: null,
      at: new Date().toISOString(),
    };
    this.runs.unshift(run);
    if (this.runs.length > 50) this.runs.pop();
    this.update(run, {});
    try {
      const unit = await withDeadline("Reading the unit record", { signal, timeoutMs: 10_000 }, (s) =>
        this.options.sink.unitSerial(mac, s),
      );
      if (unit.serial) run.serial = unit.serial;
      if (!unit.known) {
        this.update(run, {
          status: "failed",
          error: { code: "NOT_FOUND", message: `Unit ${mac} is not known to the server; nothing collected` },
        });
        return;
      }
      const found = await this.resolve(mac, signal);
      if (!found) {
        this.update(run, {
          status: "failed",
          error: {
            code: "NO_ADDRESS",
            message: `No address for unit ${mac}: it never reported to this server and the switch's ARP table does not list it`,
          },
        });
        return;
      }
      this.update(run, {
        status: "collecting",
        address: found.address,
        via: found.via,
        ...(found.sshPort && { sshPort: found.sshPort }),
      });
      const collectedAt = new Date();
      const entries = await collectLogs(
        { ...this.options.ssh, host: found.address, ...(found.sshPort && { port: found.sshPort }) },
        {
          commandTimeoutMs: this.options.commandTimeoutMs,
          maxOutputBytes: this.options.maxOutputBytes,
          signal,
          logger: this.log,
          ...(this.options.items && { items: this.options.items }),
        },
      );
      const logId = await withDeadline("Storing the debug logs", { signal, timeoutMs: 30_000 }, (s) =>
        this.options.sink.save(mac, entries, collectedAt, s),
      );
      this.update(run, { status: "stored", logId, items: Object.keys(entries) });
      this.log.info("debug logs stored", { mac, items: Object.keys(entries).length });
    } catch (error) {
      const e = toFactoryError(error, "server");
      this.log.warn("debug station: collection failed", { mac, code: e.code, error: e.message });
      this.update(run, { status: "failed", error: { code: e.code, message: e.message } });
    }
  }

  private async resolve(
    mac: string,
    signal: AbortSignal,
  ): Promise<{ address: string; via: "contacts" | "arp"; sshPort?: number } | undefined> {
    for (const source of this.options.addressSources) {
      if (source === "contacts") {
        const hit = this.options.contacts?.lookup(mac);
        if (hit)
          return { address: hit.address, via: "contacts", ...(hit.sshPort && { sshPort: hit.sshPort }) };
      } else if (this.options.switch.capabilities.arp) {
        try {
          const table = await this.options.switch.arp({ signal });
          const hit = table.find((e) => normalizeMac(e.mac) === mac);
          if (hit) return { address: hit.ip, via: "arp" };
        } catch (error) {
          this.log.warn("Reading the switch's ARP table failed", { error: toFactoryError(error).message });
        }
      }
    }
    return undefined;
  }
}
