import { describePort, type PortRef } from "../contracts/port";
import type { PipelineEvent } from "../pipeline/types";

/** Where a port stands: no board, a board waiting, being provisioned, or how its last board ended. */
export type PortViewState = "empty" | "present" | "busy" | "passed" | "failed" | "aborted";

/** What an operator sees of one station port: the last known state of its board. */
export interface PortView {
  station: string;
  /** The port as operators name it (`describePort`: label and path). */
  port: string;
  state: PortViewState;
  chip?: string;
  mac?: string;
  step?: string;
  attempt?: number;
  bytesDone?: number;
  bytesTotal?: number;
  bytesPerSecond?: number;
  /** `CODE: message` of the failure that ended the board, or of the last failed step. */
  error?: string;
}

/** One port as the server's board-line API takes it (`PUT /api/board-line/stations/{id}`). */
export interface BoardLinePortState {
  port: string;
  state: PortViewState;
  chip?: string;
  mac?: string;
  step?: string;
  bytes_done?: number;
  bytes_total?: number;
  bytes_per_second?: number;
  error?: string;
}

/** The longest error text a port carries to the server (its API refuses longer ones). */
const WIRE_ERROR_MAX = 500;

const isDone = (state: PortViewState) => state === "passed" || state === "failed" || state === "aborted";

/**
 * Keeps one {@link PortView} per station port from the stations' pipeline events: the source of a
 * terminal's live view and of the server's board line. `apply` also says which events are
 * milestones worth a line in plain (non-TTY) output.
 *
 * A board's row starts clean when the next board starts or the port empties; a finished board
 * still in its socket keeps its result (a later "present" does not hide PASSED / FAILED).
 */
export class PortBoard {
  private readonly views = new Map<string, PortView>();
  private readonly versions = new Map<string, number>();

  /** Registers a port up front so it shows before any event (in the order added). */
  add(station: string, port: PortRef): void {
    const key = keyOf(station, port);
    if (!this.views.has(key)) {
      this.views.set(key, { station, port: describePort(port), state: "empty" });
      this.touch(station);
    }
  }

  /** Applies the event; returns a plain-output line when it is a milestone, else undefined. */
  apply(station: string, event: PipelineEvent): string | undefined {
    this.add(station, event.port);
    const key = keyOf(station, event.port);
    const view = this.views.get(key)!;
    const line = this.fold(view, event, key);
    this.touch(station);
    return line;
  }

  /** Every port of every station, in the order added. */
  all(): PortView[] {
    return [...this.views.values()];
  }

  /** The stations that have ports, in the order added. */
  stations(): string[] {
    return [...this.versions.keys()];
  }

  /** One station's ports, in the order added. */
  station(id: string): PortView[] {
    return this.all().filter((v) => v.station === id);
  }

  /** A number that changes whenever anything of the station's ports may have changed. */
  version(station: string): number {
    return this.versions.get(station) ?? 0;
  }

  private touch(station: string): void {
    this.versions.set(station, (this.versions.get(station) ?? 0) + 1);
  }

  private fold(view: PortView, event: PipelineEvent, key: string): string | undefined {
    switch (event.type) {
      case "port-state":
        // The station taking the port for a board, or the port emptying, starts a clean row.
        if (event.state === "empty" || (event.state === "busy" && view.state !== "busy")) {
          this.views.set(key, { station: view.station, port: view.port, state: event.state });
        } else if (!isDone(view.state)) view.state = event.state;
        return undefined;
      case "device-start":
        this.views.set(key, { station: view.station, port: view.port, state: "busy" });
        return undefined;
      case "identified":
        view.chip = event.identity.chip;
        if (event.identity.mac) view.mac = event.identity.mac;
        return `${prefix(view)} identified ${event.identity.chip}${event.identity.mac ? ` ${event.identity.mac}` : ""}`;
      case "attempt-start":
        view.attempt = event.attempt;
        return event.attempt > 1
          ? `${prefix(view)} attempt ${event.attempt}/${event.maxAttempts}`
          : undefined;
      case "step-start":
        view.step = event.step;
        clearBytes(view);
        return event.step === "write" ||
          event.step === "verify" ||
          event.step === "test" ||
          event.step === "register"
          ? `${prefix(view)} ${event.step}`
          : undefined;
      case "progress":
        view.step = event.step;
        view.bytesDone = event.progress.bytesDone;
        view.bytesTotal = event.progress.bytesTotal;
        view.bytesPerSecond = event.bytesPerSecond;
        return undefined;
      case "step-failed":
        view.error = `${event.error.code}: ${event.error.message}`;
        return `${prefix(view)} ${event.step} failed ${event.error.code}: ${event.error.message}${event.willRetry ? " (will retry)" : ""}`;
      case "test-result":
        return `${prefix(view)} test ${event.result.name} ${event.result.passed ? "passed" : "FAILED"}`;
      case "device-done": {
        const r = event.result;
        // How it ended and on which board; the step it was in and its byte counts are history.
        view.state = r.status;
        if (r.identity) {
          view.chip = r.identity.chip;
          if (r.identity.mac) view.mac = r.identity.mac;
        }
        if (r.error) view.error = `${r.error.code}: ${r.error.message}`;
        else delete view.error;
        delete view.step;
        clearBytes(view);
        return `${prefix(view)} ${r.status.toUpperCase()}${r.deviceId ? ` ${r.deviceId}` : ""}${r.error ? ` ${r.error.code} at ${r.error.step ?? "?"}: ${r.error.message}` : ""}`;
      }
      default:
        return undefined;
    }
  }
}

/** The view of a port as the server's board-line API takes it (snake case, error bounded). */
export function portViewToWire(v: PortView): BoardLinePortState {
  return {
    port: v.port,
    state: v.state,
    ...(v.chip && { chip: v.chip }),
    ...(v.mac && { mac: v.mac }),
    ...(v.step && { step: v.step }),
    ...(v.bytesDone !== undefined && { bytes_done: v.bytesDone }),
    ...(v.bytesTotal !== undefined && { bytes_total: v.bytesTotal }),
    ...(v.bytesPerSecond !== undefined && { bytes_per_second: Math.round(v.bytesPerSecond) }),
    ...(v.error && { error: v.error.slice(0, WIRE_ERROR_MAX) }),
  };
}

function keyOf(station: string, port: PortRef): string {
  return `${station}\u0000${port.path}`;
}

function prefix(v: PortView): string {
  return `${v.station} ${v.port}`;
}

function clearBytes(v: PortView): void {
  delete v.bytesDone;
  delete v.bytesTotal;
  delete v.bytesPerSecond;
}
