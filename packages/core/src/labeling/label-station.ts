import { type SignalOptions, withDeadline } from "../abort";
import type { Printer } from "../contracts/printer";
import type { SwitchDriver } from "../contracts/switch-driver";
import type { UnitCredentials } from "../contracts/unit-store";
import { createError, ErrorCodes, toFactoryError } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { normalizeMac } from "../mac";
import type { LabelAction, LabelBackend, LabelStationState, LabelTemplate, NotReadyReason } from "./types";

export interface LabelStationOptions {
  switch: SwitchDriver;
  /** The labeling port's front-panel name (seed 002: `21`). */
  port: string;
  backend: LabelBackend;
  printer: Printer;
  template: LabelTemplate;
  /** Ask "Print label for unit {serial}?" before printing (the seed's flow). Default true. */
  askBeforePrint?: boolean;
  /** Time bounds, ms. */
  timeouts?: { backend?: number; print?: number };
  logger?: Logger;
}

/**
 * The labeling station of seed 002 as a state machine: a unit arrives on the label port → its
 * record is fetched (only `ready` units with credentials go on) → "Print label for unit
 * {serial}?" → print → "Label printed successfully?" → yes: credentials destroyed; no: record
 * kept, reprint by button or by replugging.
 *
 * Guarantees, each tested:
 * - A label only ever carries the credentials of the MAC the session was opened for.
 * - Two units on the port at once: nothing prints until one is taken away.
 * - A unit unplugged before its print was accepted: nothing prints. After the printer accepted
 *   the job, the question about the label stands (the operator holds the label) and nothing is
 *   deleted without an explicit yes.
 * - A printer error: no deletion; the operator can reprint or replug.
 * - Credentials are deleted only after "printed-ok" for a session whose print was accepted.
 */
export class LabelStation {
  private current: LabelStationState = { kind: "idle", at: new Date() };
  private readonly listeners = new Set<(state: LabelStationState) => void>();
  private readonly present = new Set<string>();
  /** MACs this station printed a label for, so that a replug after a misprint shows as a reprint. */
  private readonly printedMacs = new Set<string>();
  private sessionCounter = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly timeouts: { backend: number; print: number };
  /** Credentials of the current session, held only between fetch and print. */
  private held: { mac: string; credentials: UnitCredentials; unit: Parameters<LabelTemplate>[0] } | undefined;

  constructor(private readonly options: LabelStationOptions) {
    this.log = (options.logger ?? noopLogger).child({ station: "label", port: options.port });
    this.timeouts = { backend: 10_000, print: 15_000, ...options.timeouts };
  }

  get state(): LabelStationState {
    return this.current;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (state: LabelStationState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Watches the label port until the signal fires. Units already on the port when it starts are
   * picked up. Resolves when stopped.
   */
  async run({ signal }: SignalOptions): Promise<void> {
    try {
      const entries = await this.options.switch.macsOnPort(this.options.port, { signal });
      for (const entry of entries) await this.enqueue(() => this.arrived(entry.mac, signal));
    } catch (error) {
      this.log.warn("Could not read the label port's MACs at start", {
        error: toFactoryError(error).message,
      });
    }
    for await (const event of this.options.switch.watch({ ports: [this.options.port], signal })) {
      if (signal?.aborted) break;
      if (event.type === "health" || event.port !== this.options.port) continue;
      if (event.type === "mac-learned") await this.enqueue(() => this.arrived(event.mac, signal));
      else if (event.type === "mac-gone") await this.enqueue(() => this.left([event.mac], signal));
      else if (event.type === "link-down") await this.enqueue(() => this.left([...this.present], signal));
    }
  }

  /**
   * An operator answer for `session`. Resolves true when it was acted on, false when it no
   * longer applies (another unit is on the port now, or the question was already answered).
   */
  answer(session: number, action: LabelAction, options: SignalOptions = {}): Promise<boolean> {
    return this.enqueue(() => this.act(session, action, options.signal));
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.then(
      () => {},
      () => {},
    );
    return next;
  }

  private set(state: LabelStationState): void {
    this.current = state;
    this.log.info(`label station: ${state.kind}`, {
      session: "session" in state ? state.session : undefined,
    });
    for (const listener of this.listeners) {
      try {
        listener(state);
      } catch (error) {
        this.log.error("Label station listener threw", { error: String(error) });
      }
    }
  }

  private newSession(): { session: number; at: Date } {
    this.sessionCounter += 1;
    return { session: this.sessionCounter, at: new Date() };
  }

  /** True while a print was accepted (or is under way) for the current session. */
  private committed(): boolean {
    return this.current.kind === "printing" || this.current.kind === "confirm-printed";
  }

  private async arrived(rawMac: string, signal?: AbortSignal): Promise<void> {
    const mac = normalizeMac(rawMac);
    const back = !this.present.has(mac);
    this.present.add(mac);
    if (this.committed()) return; // finish the label in hand first
    if (this.present.size > 1) {
      this.held = undefined;
      this.set({ ...this.newSession(), kind: "conflict", macs: [...this.present].sort() });
      return;
    }
    // A repeated report of the unit in hand changes nothing; the same unit plugged in again (it
    // left while its label was printing, say) starts over, as a replug after a misprint should.
    if (!back && "mac" in this.current && this.current.mac === mac) return;
    await this.open(mac, signal);
  }

  private async left(macs: string[], signal?: AbortSignal): Promise<void> {
    for (const raw of macs) this.present.delete(normalizeMac(raw));
    if (this.committed()) return;
    const sessionMac = "mac" in this.current ? this.current.mac : undefined;
    if (this.current.kind === "conflict" || (sessionMac && !this.present.has(sessionMac))) {
      await this.reconcile(signal, "idle");
    }
  }

  /**
   * After the session's unit left, or a label question was answered: moves on to whatever is on
   * the port now. With nobody else there, `whenEmpty` decides whether the last state stays on
   * screen (a finished label) or the station goes idle.
   */
  private async reconcile(signal: AbortSignal | undefined, whenEmpty: "idle" | "keep"): Promise<void> {
    const sessionMac = "mac" in this.current ? this.current.mac : undefined;
    const others = [...this.present].filter((m) => m !== sessionMac);
    if (sessionMac && this.present.has(sessionMac) && others.length === 0) return;
    this.held = undefined;
    if (this.present.size > 1) {
      this.set({ ...this.newSession(), kind: "conflict", macs: [...this.present].sort() });
    } else if (others.length === 1) {
      await this.open(others[0]!, signal);
    } else if (whenEmpty === "idle") {
      this.set({ kind: "idle", at: new Date() });
    }
  }

  /** Opens a session for the single unit on the port: fetch, then ask or print. */
  private async open(mac: string, signal?: AbortSignal): Promise<void> {
    const session = this.newSession();
    this.held = undefined;
    this.set({ ...session, kind: "fetching", mac });
    let found: Awaited<ReturnType<LabelBackend["fetch"]>>;
    try {
      found = await this.bounded("Fetching the unit record", this.timeouts.backend, signal, (s) =>
        this.options.backend.fetch(mac, { signal: s }),
      );
    } catch (error) {
      const coded = toFactoryError(error);
      this.set({ ...session, kind: "error", mac, error: { code: coded.code, message: coded.message } });
      return;
    }
    const reason = notReady(found);
    if (reason || !found?.credentials || !found.unit.serial) {
      this.set({
        ...session,
        kind: "not-ready",
        mac,
        reason: reason ?? "no-credentials",
        ...(found?.unit.serial && { serial: found.unit.serial }),
      });
      return;
    }
    const unit = { ...found.unit, serial: found.unit.serial };
    this.held = { mac, credentials: found.credentials, unit };
    const isReprint = this.printedMacs.has(mac) || found.unit.reprints > 0;
    if (this.options.askBeforePrint === false) {
      await this.print(session, signal);
      return;
    }
    this.set({ ...session, kind: "confirm-print", mac, serial: unit.serial, reprint: isReprint });
  }

  private async act(session: number, action: LabelAction, signal?: AbortSignal): Promise<boolean> {
    const state = this.current;
    if (!("session" in state) || state.session !== session) return false;
    switch (action) {
      case "print":
        if (state.kind !== "confirm-print") return false;
        await this.print(state, signal);
        return true;
      case "skip":
        if (state.kind !== "confirm-print") return false;
        this.held = undefined;
        this.set({ ...state, kind: "misprint", at: new Date() });
        return true;
      case "printed-ok": {
        if (state.kind !== "confirm-printed") return false;
        try {
          await this.bounded("Deleting the credentials", this.timeouts.backend, signal, (s) =>
            this.options.backend.confirm(state.mac, { signal: s }),
          );
        } catch (error) {
          // Nothing is lost: the question stands and the operator can answer again.
          this.log.error("Confirming the label failed", { error: toFactoryError(error).message });
          this.set({ ...state, at: new Date() });
          throw error;
        }
        this.held = undefined;
        this.set({
          session: state.session,
          at: new Date(),
          kind: "done",
          mac: state.mac,
          serial: state.serial,
        });
        await this.reconcile(signal, "keep");
        return true;
      }
      case "printed-bad":
        if (state.kind !== "confirm-printed") return false;
        await this.bounded("Recording the misprint", this.timeouts.backend, signal, (s) =>
          this.options.backend.reject(state.mac, { signal: s }),
        ).catch((error: unknown) => this.log.warn("Recording a misprint failed", { error: String(error) }));
        this.set({
          session: state.session,
          at: new Date(),
          kind: "misprint",
          mac: state.mac,
          serial: state.serial,
        });
        await this.reconcile(signal, "keep");
        return true;
      case "reprint":
        if (state.kind !== "misprint" && state.kind !== "print-failed") return false;
        if (!this.present.has(state.mac)) return false;
        await this.open(state.mac, signal);
        return true;
      case "retry":
        if (state.kind !== "error") return false;
        if (!this.present.has(state.mac)) return false;
        await this.open(state.mac, signal);
        return true;
    }
  }

  private async print(session: { session: number }, signal?: AbortSignal): Promise<void> {
    const held = this.held;
    if (!held) return;
    const base = { session: session.session, mac: held.mac, serial: held.unit.serial };
    this.set({ ...base, at: new Date(), kind: "printing" });
    try {
      const label = this.options.template(held.unit, held.credentials);
      if (label.serial !== held.unit.serial) {
        throw createError(
          "core",
          ErrorCodes.INVALID_ARGUMENT,
          "The label template put another serial on the label",
        );
      }
      const receipt = await this.bounded("Printing the label", this.timeouts.print, signal, (s) =>
        this.options.printer.print({ label, jobName: `unit ${held.unit.serial.slice(0, 8)}` }, { signal: s }),
      );
      this.held = undefined;
      this.printedMacs.add(held.mac);
      await this.bounded("Recording the print", this.timeouts.backend, signal, (s) =>
        this.options.backend.printed(held.mac, receipt, { signal: s }),
      ).catch((error: unknown) => this.log.warn("Recording the print failed", { error: String(error) }));
      this.set({ ...base, at: new Date(), kind: "confirm-printed", jobId: receipt.jobId });
    } catch (error) {
      const coded = toFactoryError(error);
      this.held = undefined;
      this.set({
        ...base,
        at: new Date(),
        kind: "print-failed",
        error: { code: coded.code, message: coded.message },
      });
    }
  }

  private bounded<T>(
    what: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    fn: (s: AbortSignal) => Promise<T>,
  ) {
    return withDeadline(what, { signal, timeoutMs }, fn);
  }
}

function notReady(found: Awaited<ReturnType<LabelBackend["fetch"]>>): NotReadyReason | undefined {
  if (!found) return "unknown";
  const { status } = found.unit;
  if (status === "ready") return found.credentials ? undefined : "no-credentials";
  return status;
}

/** Creates a {@link LabelStation}; call `run({ signal })` to start watching the port. */
export function createLabelStation(options: LabelStationOptions): LabelStation {
  return new LabelStation(options);
}
