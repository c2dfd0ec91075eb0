import { setMaxListeners } from "node:events";
import path from "node:path";
import {
  type BatchReport,
  type BatchResult,
  type BoardLineReporter,
  createCsvRecordSink,
  createError,
  createHttpRegistrar,
  createServerRecords,
  type FactoryConfig,
  type HttpRegistrar,
  type Logger,
  noopLogger,
  type PipelineEvent,
  PortBoard,
  type RecordSink,
  type Registrar,
  type ServerRecords,
  startBoardLineReporter,
  writeBatchReport,
} from "@factory/core";
import { createQrPngLabel } from "./qr-png";
import { type DriverSource, type LineStation, setUpStations } from "./station-setup";

export interface FlashLineOptions {
  config: FactoryConfig;
  /** `batch`: each port with a device once; `continuous`: whatever is plugged in until the signal fires. */
  mode: "batch" | "continuous";
  /** The seed's `--test-mode`: detect and identify, write and record nothing. */
  testMode?: boolean;
  /** `--station`; every station when empty. */
  stationIds?: readonly string[];
  /** `--batch-size`: most devices per station in a batch. */
  batchSize?: number;
  /** Ctrl-C: stops cleanly; what finished is recorded. */
  signal: AbortSignal;
  logger?: Logger;
  env?: Record<string, string | undefined>;
  onEvent?: (stationId: string, event: PipelineEvent) => void;
  /** Called once the stations exist, before any device is touched (lists ports for the live view). */
  onStations?: (stations: readonly LineStation[]) => void;
  drivers?: DriverSource;
  /**
   * The production server that gets the live port states, every device's record and the batch
   * report (`--server`). Default: the registration service of the config. Its station token is
   * read from `registration.token_env`, else from `FACTORY_SERVER_TOKEN`.
   */
  serverUrl?: string;
  /** Replaces the HTTP registrar from config. */
  registrar?: Registrar;
  simTiming?: "instant" | "real";
}

export interface FlashLineResult {
  batches: BatchResult[];
  /** The batch report file, when devices were provisioned (not in test mode). */
  reportFile?: string;
  report?: BatchReport;
  /** Registrations still queued because the service was unreachable. */
  pendingRegistrations: number;
  /** Device records and batch reports still queued for the server (sent on the next run). */
  pendingRecords: number;
  aborted: boolean;
}

/**
 * Runs the line from config: every chosen station, all ports concurrently. Passing devices are
 * registered (queued in `output_dir` while the service is down, delivered on the next run), get a
 * QR PNG in `output_dir/qr`, and every finished device gets its row in the daily CSV; at the end the
 * batch report JSON is written with what finished, also after Ctrl-C.
 */
export async function flashLine(options: FlashLineOptions): Promise<FlashLineResult> {
  const { config, signal } = options;
  const log = options.logger ?? noopLogger;
  const testMode = options.testMode ?? false;
  const env = options.env ?? {};
  const tokenEnv = config.registration.tokenEnv;
  if (!testMode && !options.registrar && config.registration.url && tokenEnv && !env[tokenEnv]) {
    throw createError(
      "cli",
      "CONFIG_INVALID",
      `registration.token_env names ${tokenEnv}, but it is not set; set it to a station token of the server before flashing`,
      { details: { tokenEnv }, retryable: false },
    );
  }
  let httpRegistrar: HttpRegistrar | undefined;
  let registrar = options.registrar;
  if (!registrar && !testMode && config.registration.url) {
    httpRegistrar = createHttpRegistrar({
      url: config.registration.url,
      ...(config.registration.tokenEnv &&
        env[config.registration.tokenEnv] && { token: env[config.registration.tokenEnv] }),
      timeoutMs: config.registration.timeoutMs,
      queueFile: path.join(config.outputDir, "registration-queue.jsonl"),
      logger: log,
    });
    registrar = httpRegistrar;
  }
  const serverUrl = options.serverUrl ?? config.registration.url;
  const serverToken = (tokenEnv ? env[tokenEnv] : undefined) ?? env.FACTORY_SERVER_TOKEN;
  if (options.serverUrl && !serverToken) {
    throw createError(
      "cli",
      "CONFIG_INVALID",
      `--server needs a station token of the server: set ${tokenEnv ?? "FACTORY_SERVER_TOKEN"}`,
      { retryable: false },
    );
  }
  const csv = testMode ? undefined : createCsvRecordSink({ dir: config.outputDir, logger: log });
  // Every record goes to the daily CSV first (the record of truth on the station), then to the server.
  const serverRecords: ServerRecords | undefined =
    !testMode && serverUrl && serverToken
      ? createServerRecords({
          url: serverUrl,
          token: serverToken,
          queueFile: path.join(config.outputDir, "server-records-queue.jsonl"),
          timeoutMs: config.registration.timeoutMs,
          logger: log,
        })
      : undefined;
  const recorder: RecordSink | undefined = csv && {
    async write(record, opts) {
      await csv.write(record, opts);
      await serverRecords?.write(record, opts);
    },
  };
  let stations: LineStation[] = [];
  let reporter: BoardLineReporter | undefined;
  try {
    stations = await setUpStations({
      config,
      stationIds: options.stationIds ?? [],
      testMode,
      logger: log,
      ...(options.drivers && { drivers: options.drivers }),
      ...(registrar && { registrar }),
      ...(recorder && { recorder }),
      label: createQrPngLabel(path.join(config.outputDir, "qr")),
      ...(options.simTiming && { simTiming: options.simTiming }),
    });
    // Every port's pipeline listens to the one Ctrl-C signal.
    const ports = stations.reduce((n, s) => n + s.station.ports.length, 0);
    setMaxListeners(Math.max(10, ports * 4 + 10), signal);
    options.onStations?.(stations);
    if (httpRegistrar && httpRegistrar.pending() > 0 && !signal.aborted) {
      const flushed = await httpRegistrar.flush({ signal }).catch(() => undefined);
      if (flushed) log.info("Delivered queued registrations", flushed);
    }
    if (serverRecords && serverRecords.pending() > 0 && !signal.aborted) {
      const flushed = await serverRecords.flush({ signal }).catch(() => undefined);
      if (flushed) log.info("Delivered queued records to the server", flushed);
    }
    // The server's dashboard shows every port live when the line reports to a server.
    const board = new PortBoard();
    for (const { station } of stations) for (const port of station.ports) board.add(station.id, port);
    reporter =
      serverUrl && serverToken
        ? startBoardLineReporter({ url: serverUrl, token: serverToken, board, logger: log })
        : undefined;
    for (const { station } of stations) {
      station.onEvent((event) => {
        board.apply(station.id, event);
        options.onEvent?.(station.id, event);
      });
    }
    const batches = await Promise.all(
      stations.map(({ station }) =>
        options.mode === "continuous"
          ? station.runContinuous({ signal })
          : station.runBatch({
              signal,
              ...(options.batchSize !== undefined && { limit: options.batchSize }),
            }),
      ),
    );
    const result: FlashLineResult = {
      batches,
      pendingRegistrations: httpRegistrar?.pending() ?? 0,
      pendingRecords: 0,
      aborted: signal.aborted,
    };
    const finished = batches.some((b) => b.results.length > 0);
    if (!testMode && finished) {
      // Written even after Ctrl-C (the signal has fired), so it gets its own bound, not the signal.
      const { file, report } = await writeBatchReport(config.outputDir, batches, { timeoutMs: 30_000 });
      result.reportFile = file;
      result.report = report;
      log.info("Batch report written", { file, passed: report.totals.passed, failed: report.totals.failed });
      // Sent even after Ctrl-C, with its own bound; queued when the server does not take it now.
      await serverRecords?.sendBatchReport(report, batches);
    }
    // Records queued during a short outage in this run go now if the server is back (bounded:
    // the first failure stops the flush; what is left waits for the next run).
    if (serverRecords && serverRecords.pending() > 0 && !signal.aborted) {
      await serverRecords.flush().catch(() => undefined);
    }
    result.pendingRecords = serverRecords?.pending() ?? 0;
    return result;
  } finally {
    await reporter?.stop();
    await csv?.close();
    await Promise.allSettled(stations.map((s) => s.driver.dispose?.()));
  }
}
