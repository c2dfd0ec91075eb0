import { describePort, type PipelineEvent } from "@factory/core";

/** What the operator sees of one port: the last known state of its device. */
export interface PortView {
  station: string;
  port: string;
  chip?: string;
  mac?: string;
  state: "empty" | "present" | "busy" | "passed" | "failed" | "aborted";
  step?: string;
  attempt?: number;
  bytesDone?: number;
  bytesTotal?: number;
  bytesPerSecond?: number;
  error?: string;
}

/**
 * Keeps one {@link PortView} per station port from pipeline events, and says which events are
 * worth a line in plain (non-TTY) output.
 */
export class PortBoard {
  private readonly views = new Map<string, PortView>();

  /** Registers a port up front so it shows even before any event (in config order). */
  add(station: string, port: { path: string; label?: string }): void {
    const key = `${station}\u0000${port.path}`;
    if (!this.views.has(key)) this.views.set(key, { station, port: describePort(port), state: "empty" });
  }

  /** Applies the event; returns a plain-output line when the event is a milestone, else undefined. */
  apply(station: string, event: PipelineEvent): string | undefined {
    this.add(station, event.port);
    const view = this.views.get(`${station}\u0000${event.port.path}`)!;
    switch (event.type) {
      case "port-state":
        if (event.state === "busy" || !isDone(view.state) || event.state === "empty") {
          view.state = event.state;
          if (event.state === "empty") delete view.error;
        }
        return undefined;
      case "device-start":
        view.state = "busy";
        delete view.error;
        delete view.step;
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
        delete view.bytesDone;
        delete view.bytesTotal;
        delete view.bytesPerSecond;
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
        view.state = r.status;
        if (r.identity) {
          view.chip = r.identity.chip;
          if (r.identity.mac) view.mac = r.identity.mac;
        }
        if (r.error) view.error = `${r.error.code}: ${r.error.message}`;
        delete view.step;
        return `${prefix(view)} ${r.status.toUpperCase()}${r.deviceId ? ` ${r.deviceId}` : ""}${r.error ? ` ${r.error.code} at ${r.error.step ?? "?"}: ${r.error.message}` : ""}`;
      }
      default:
        return undefined;
    }
  }

  all(): PortView[] {
    return [...this.views.values()];
  }

  /** One fixed-width line per port for the live TTY view. */
  lines(width = 120): string[] {
    return this.all().map((v) => formatLive(v).slice(0, Math.max(20, width - 1)));
  }
}

function isDone(state: PortView["state"]): boolean {
  return state === "passed" || state === "failed" || state === "aborted";
}

function prefix(v: PortView): string {
  return `${v.station} ${v.port}`;
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} B`;
}

function formatLive(v: PortView): string {
  const cols = [
    v.station.padEnd(10),
    v.port.padEnd(16),
    (v.chip ?? "-").padEnd(14),
    (v.mac ?? "-").padEnd(17),
  ];
  let status: string;
  if (v.state === "busy") {
    const step = (v.step ?? "start").padEnd(8);
    const bytes =
      v.bytesTotal !== undefined && v.bytesDone !== undefined
        ? `${formatBytes(v.bytesDone)}/${formatBytes(v.bytesTotal)} ${Math.round((v.bytesDone / Math.max(1, v.bytesTotal)) * 100)}%`
        : "";
    const speed = v.bytesPerSecond ? ` ${formatBytes(v.bytesPerSecond)}/s` : "";
    status = `${step} ${bytes}${speed}${v.attempt && v.attempt > 1 ? ` (attempt ${v.attempt})` : ""}`;
  } else if (v.state === "failed" || v.state === "aborted") {
    status = `${v.state.toUpperCase()} ${v.error ?? ""}`;
  } else {
    status = v.state.toUpperCase();
  }
  return `${cols.join(" ")} ${status}`;
}
