import {
  type BoardLinePortState,
  type Logger,
  type PipelineEvent,
  PortBoard,
  portViewToWire,
  startBoardLineReporter as startCoreReporter,
} from "@factory/core";

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
  /** The current view of every port, as sent. */
  view(): BoardLinePortState[];
  /** Stops the timer and sends the last view (bounded). */
  stop(): Promise<void>;
}

/**
 * One flashing station's live port view on the server's board line: core's `PortBoard` and
 * board-line reporter bound to the station.
 */
export function startBoardLineReporter(o: BoardLineReporterOptions): BoardLineReporter {
  const board = new PortBoard();
  for (const path of o.ports) board.add(o.stationId, { path });
  const reporter = startCoreReporter({
    url: o.url,
    token: o.token,
    board,
    ...(o.intervalMs !== undefined && { intervalMs: o.intervalMs }),
    ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }),
    ...(o.logger && { logger: o.logger }),
  });
  return {
    apply: (event) => void board.apply(o.stationId, event),
    view: () => board.station(o.stationId).map(portViewToWire),
    stop: () => reporter.stop(),
  };
}
