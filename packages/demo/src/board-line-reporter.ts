import { type Logger, noopLogger, type PipelineEvent } from "@factory/core";

/** One port as the server's board-line view takes it (`PUT /api/board-line/stations/:id`). */
export interface BoardLinePortState {
  port: string;
  state: "empty" | "present" | "busy" | "passed" | "failed" | "aborted";
  chip?: string;
  mac?: string;
  step?: string;
  bytes_done?: number;
  bytes_total?: number;
  bytes_per_second?: number;
  error?: string;
}

export interface BoardLineReporterOptions {
  url: string;
  /** A `station` role token. Never logged. */
  token: string;
  stationId: string;
  ports: readonly string[];
  /** How often a changed view is sent, ms (default 1000). */
  intervalMs?: number;
  /** Bound of one request, ms (default 3000). */
  timeoutMs?: number;
  logger?: Logger;
}

export interface BoardLineReporter {
  /** Folds one pipeline event of the station into the port view. */
  apply(event: PipelineEvent): void;
  /** The current view of every port. */
  view(): BoardLinePortState[];
  /** Stops the timer and sends the last view (bounded). */
  stop(): Promise<void>;
}

/**
 * Keeps the flashing station's per-port view from its pipeline events and sends it to the server's
 * board line when it changed, at most once per interval. Best effort: a failed send is logged
 * once and never slows the station.
 */
export function startBoardLineReporter(o: BoardLineReporterOptions): BoardLineReporter {
  const log = o.logger ?? noopLogger;
  const ports = new Map<string, BoardLinePortState>(o.ports.map((p) => [p, { port: p, state: "empty" }]));
  let dirty = true;
  let warned = false;
  let sending: Promise<void> | undefined;

  const send = async () => {
    dirty = false;
    try {
      const res = await fetch(new URL(`/api/board-line/stations/${encodeURIComponent(o.stationId)}`, o.url), {
        method: "PUT",
        signal: AbortSignal.timeout(o.timeoutMs ?? 3000),
        headers: { "content-type": "application/json", authorization: `Bearer ${o.token}` },
        body: JSON.stringify({ ports: [...ports.values()] }),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
    } catch (error) {
      dirty = true;
      (warned ? log.debug : log.warn).call(log, "board line view not sent", { error: String(error) });
      warned = true;
    }
  };
  const timer = setInterval(() => {
    if (dirty && !sending) sending = send().finally(() => (sending = undefined));
  }, o.intervalMs ?? 1000);
  timer.unref();

  const update = (port: string, change: Partial<BoardLinePortState>, reset = false) => {
    const prev = ports.get(port) ?? { port, state: "empty" as const };
    ports.set(port, reset ? { port, state: prev.state, ...change } : { ...prev, ...change });
    dirty = true;
  };

  return {
    apply(e) {
      const port = e.port.path;
      switch (e.type) {
        case "port-state":
          if (e.state === "busy") update(port, { state: "busy" }, true);
          else if (e.state === "empty") update(port, { state: "empty" }, true);
          else if (ports.get(port)?.state !== "busy") update(port, { state: "present" }, true);
          break;
        case "identified":
          update(port, {
            ...(e.identity.chip && { chip: e.identity.chip }),
            ...(e.identity.mac && { mac: e.identity.mac }),
          });
          break;
        case "step-start":
          update(port, { step: e.step });
          break;
        case "progress":
          update(port, {
            step: e.step,
            bytes_done: e.progress.bytesDone,
            bytes_total: e.progress.bytesTotal,
            bytes_per_second: Math.round(e.bytesPerSecond),
          });
          break;
        case "device-done": {
          // The card says how it ended and on which board; the last step and its bytes are history.
          const prev = ports.get(port);
          update(
            port,
            {
              state: e.result.status,
              ...(prev?.chip && { chip: prev.chip }),
              ...(prev?.mac && { mac: prev.mac }),
              ...(e.result.error && {
                error: `${e.result.error.code}: ${e.result.error.message}`.slice(0, 500),
              }),
            },
            true,
          );
          break;
        }
        default:
          break;
      }
    },
    view: () => [...ports.values()].map((p) => ({ ...p })),
    async stop() {
      clearInterval(timer);
      await sending;
      await send();
    },
  };
}
