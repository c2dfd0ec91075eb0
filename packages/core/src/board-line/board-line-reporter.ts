import { type Logger, noopLogger } from "../logger";
import { type PortBoard, portViewToWire } from "./port-board";

export interface BoardLineReporterOptions {
  /** The server's base URL. */
  url: string;
  /** Bearer token of a `station` role. Never logged. */
  token: string;
  /** The port views to send, one request per station. */
  board: PortBoard;
  /** Changes are sent at most this often, ms. Default 1000. */
  intervalMs?: number;
  /**
   * An unchanged station is sent again after this long, ms, so the dashboard can tell an idle
   * station (fresh `updated_at`) from one that stopped reporting. Default 15000; 0 turns it off.
   */
  keepAliveMs?: number;
  /** Bound of one request, ms. Default 3000. */
  timeoutMs?: number;
  logger?: Logger;
}

export interface BoardLineReporter {
  /** Sends every station whose ports changed (or whose keep-alive is due) now. Never throws. */
  flush(): Promise<void>;
  /** Stops the timer and sends every station's final view once more (bounded). */
  stop(): Promise<void>;
}

/**
 * Sends the stations' live port views to the server's board line
 * (`PUT /api/board-line/stations/{id}`) while a line runs: a station when its ports changed, at most
 * once per interval, and again after a quiet while as a keep-alive. Best effort: a server that is
 * down or slow never slows the line; the first failure is a warning, later ones are debug lines,
 * and a station that failed to send is sent again on the next tick.
 */
export function startBoardLineReporter(o: BoardLineReporterOptions): BoardLineReporter {
  const log = o.logger ?? noopLogger;
  const keepAliveMs = o.keepAliveMs ?? 15_000;
  const sent = new Map<string, { version: number; at: number }>();
  let warned = false;
  let sending: Promise<void> | undefined;

  const sendStation = async (station: string, force: boolean): Promise<void> => {
    const version = o.board.version(station);
    const last = sent.get(station);
    const due = !last || last.version !== version || (keepAliveMs > 0 && Date.now() - last.at >= keepAliveMs);
    if (!force && !due) return;
    try {
      const url = new URL(`/api/board-line/stations/${encodeURIComponent(station)}`, o.url);
      const res = await fetch(url, {
        method: "PUT",
        signal: AbortSignal.timeout(o.timeoutMs ?? 3000),
        headers: { "content-type": "application/json", authorization: `Bearer ${o.token}` },
        body: JSON.stringify({ ports: o.board.station(station).map(portViewToWire) }),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`the server answered ${res.status}`);
      sent.set(station, { version, at: Date.now() });
    } catch (error) {
      (warned ? log.debug : log.warn).call(log, "Live port states not sent to the board line", {
        station,
        error: String(error),
      });
      warned = true;
    }
  };
  const sendAll = (force: boolean) =>
    Promise.all(o.board.stations().map((s) => sendStation(s, force))).then(() => {});
  const tick = () => {
    if (!sending) sending = sendAll(false).finally(() => (sending = undefined));
    return sending;
  };
  const timer = setInterval(tick, o.intervalMs ?? 1000);
  timer.unref();

  return {
    flush: async () => {
      await sending;
      await tick();
    },
    async stop() {
      clearInterval(timer);
      await sending;
      await sendAll(true);
    },
  };
}
