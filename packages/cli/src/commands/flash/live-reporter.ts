import type { Logger } from "@factory/core";
import type { PortBoard, PortView } from "./port-board";

export interface LiveReporterOptions {
  /** Server base URL (the registration service of the config). */
  url: string;
  /** Bearer token of a `station` role. Never logged. */
  token: string;
  board: PortBoard;
  /** How often port states are sent, ms. Default 1000. */
  intervalMs?: number;
  /** Per-request bound, ms. Default 3000. */
  timeoutMs?: number;
  logger: Logger;
}

/**
 * Sends every station's port states to the server's dashboard (`PUT /api/board-line/stations/:id`)
 * while the line runs. Best effort: a server that is down or slow never slows the line; the
 * first failure is logged, later ones only at debug level. `stop()` sends the final states.
 */
export function startLiveReporter(options: LiveReporterOptions): { stop(): Promise<void> } {
  let warned = false;
  let sending: Promise<void> | undefined;
  const send = async (): Promise<void> => {
    const byStation = new Map<string, PortView[]>();
    for (const v of options.board.all()) byStation.set(v.station, [...(byStation.get(v.station) ?? []), v]);
    await Promise.all(
      [...byStation].map(async ([station, views]) => {
        try {
          const url = new URL(`/api/board-line/stations/${encodeURIComponent(station)}`, options.url);
          const res = await fetch(url, {
            method: "PUT",
            signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
            headers: { "content-type": "application/json", authorization: `Bearer ${options.token}` },
            body: JSON.stringify({ ports: views.map(toWire) }),
          });
          await res.body?.cancel();
          if (!res.ok) throw new Error(`the server answered ${res.status}`);
        } catch (error) {
          const log = warned ? options.logger.debug : options.logger.warn;
          log.call(options.logger, "Live port states not sent to the dashboard", {
            station,
            error: String(error),
          });
          warned = true;
        }
      }),
    );
  };
  const tick = () => {
    if (!sending) sending = send().finally(() => (sending = undefined));
  };
  const timer = setInterval(tick, options.intervalMs ?? 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await sending;
      await send();
    },
  };
}

function toWire(v: PortView) {
  return {
    port: v.port,
    state: v.state,
    ...(v.chip && { chip: v.chip }),
    ...(v.mac && { mac: v.mac }),
    ...(v.step && { step: v.step }),
    ...(v.bytesDone !== undefined && { bytes_done: v.bytesDone }),
    ...(v.bytesTotal !== undefined && { bytes_total: v.bytesTotal }),
    ...(v.bytesPerSecond !== undefined && { bytes_per_second: Math.round(v.bytesPerSecond) }),
    ...(v.error && { error: v.error.slice(0, 500) }),
  };
}
