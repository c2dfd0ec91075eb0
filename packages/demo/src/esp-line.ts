import path from "node:path";
import {
  type BatchResult,
  createCsvRecordSink,
  createHttpRegistrar,
  createServerRecords,
  createStation,
  type DeviceResult,
  type Logger,
  noopLogger,
  PortBoard,
  type PortRef,
  type RecordSink,
  sleep,
  startBoardLineReporter,
  writeBatchReport,
} from "@factory/core";
import { createEspDriver } from "@factory/driver-esp";
import {
  createEspSimulator,
  EspSimBinding,
  type EspSimFaults,
  makeFirmwareImage,
  makePartitionTable,
} from "@factory/driver-esp/simulator";

export interface EspLineOptions {
  /** Production server base URL (device registrations and the board-line view). */
  server: string;
  /** A `station` role token. */
  stationToken: string;
  /**
   * The station's folder, as `factory flash`'s output folder: the daily
   * `factory_records_YYYYMMDD.csv`, a `batch_report_YYYYMMDD_HHMMSS.json` per round and the queue
   * of records and reports the server has not taken yet.
   */
  dir: string;
  /** Station id on the board line (default `esp-station-1`). */
  stationId?: string;
  /** Number of USB ports (default 4). */
  ports?: number;
  /** How long a round's boards stay on the jig after the last one finished, ms (default 6000). */
  swapAfterMs?: number;
  /** Share of boards with a fault (default 1 in 6): a bad flash cell or a firmware that does not answer. */
  faultRate?: number;
  random?: () => number;
  logger?: Logger;
}

export interface EspLine {
  readonly stationId: string;
  /** The folder of the daily CSV and the batch report files. */
  readonly recordsDir: string;
  /** The batch report files written so far, in order. */
  reportFiles(): string[];
  /** Every board the line finished, in order. */
  results(): DeviceResult[];
  /** Every round (one station batch each) that finished, in order. */
  batches(): BatchResult[];
  /** Stops the station (boards in flight are aborted) and sends the last port states. */
  close(): Promise<void>;
}

/**
 * A flashing station of seed 000 on simulated ESP32 boards: core's station and pipeline with the
 * real ESP driver speaking the ROM/stub protocol to byte-exact simulators (real serial timing),
 * console test `info` → `OK`, registration with the server, live port states on the board line.
 * It works in rounds, as `factory flash` does in batch mode: a board on every port, one station
 * batch, each device's record sent to the server as it finishes (`POST /api/board-line/records`)
 * and the round's batch report at its end (`PUT /api/board-line/reports/:id`), both through
 * core's `createServerRecords`; then the operator swaps the boards. Now and then one has a fault
 * and fails. On disk, in `dir`, as `factory flash` keeps them: each device's row in the daily
 * `factory_records_YYYYMMDD.csv` (written first: the station's record of truth) and each round's
 * `batch_report_YYYYMMDD_HHMMSS.json`, through core's record writers.
 */
export async function startEspLine(o: EspLineOptions): Promise<EspLine> {
  const log = o.logger ?? noopLogger;
  const random = o.random ?? Math.random;
  const stationId = o.stationId ?? "esp-station-1";
  const ports: PortRef[] = Array.from({ length: o.ports ?? 4 }, (_, i) => ({ path: `sim:esp32-${i}` }));
  const binding = new EspSimBinding();
  const controller = new AbortController();
  const { signal } = controller;
  const results: DeviceResult[] = [];
  const batches: BatchResult[] = [];
  let boards = 0;
  const app = makeFirmwareImage({ size: 128 * 1024, seed: 2 });
  // A worn cell keeps bit 0 set: put it under an app byte whose bit 0 is clear, so verify sees it.
  const wornCell = 0x10000 + app.findIndex((b, i) => i >= 0x2000 && (b & 1) === 0);

  const plug = async (port: PortRef) => {
    boards += 1;
    const faulty = random() < (o.faultRate ?? 1 / 6);
    const faults: EspSimFaults = faulty && random() < 0.5 ? { stuckBitAt: wornCell } : {};
    const sim = await createEspSimulator({
      chip: "esp32",
      mac: `24:0a:c4:7e:${((boards >> 8) & 0xff).toString(16).padStart(2, "0")}:${(boards & 0xff).toString(16).padStart(2, "0")}`,
      timing: "real",
      seed: boards,
      faults,
      ...(faulty && !faults.stuckBitAt && { console: { info: "ERR self-test: radio calibration failed" } }),
    });
    binding.add(port.path, sim);
  };

  // The board line shows the station's ports live (core's per-port view and its sender).
  const board = new PortBoard();
  for (const port of ports) board.add(stationId, port);
  const reporter = startBoardLineReporter({ url: o.server, token: o.stationToken, board, logger: log });
  const csv = createCsvRecordSink({ dir: o.dir, logger: log });
  const reportFiles: string[] = [];
  const records = createServerRecords({
    url: o.server,
    token: o.stationToken,
    queueFile: path.join(o.dir, "server-records-queue.jsonl"),
    timeoutMs: 5000,
    logger: log,
  });
  // Every record goes to the daily CSV first (the record of truth on the station), then to the server.
  const recorder: RecordSink = {
    async write(record, opts) {
      await csv.write(record, opts);
      await records.write(record, opts);
    },
  };
  const driver = createEspDriver({ binding, baudRate: 921_600 }, log);
  const station = createStation({
    id: stationId,
    driver,
    ports,
    boardType: "esp32",
    plan: {
      regions: [
        { name: "bootloader", offset: 0x1000, data: makeFirmwareImage({ size: 24 * 1024, seed: 1 }) },
        { name: "partitions", offset: 0x8000, data: makePartitionTable(0x100000) },
        { name: "app", offset: 0x10000, data: app },
      ],
    },
    pipeline: {
      tests: [{ name: "boot_test", command: "info", expect: "OK", timeoutMs: 5000 }],
      retry: { maxAttempts: 2 },
      registrar: createHttpRegistrar({ url: o.server, token: o.stationToken, timeoutMs: 5000, logger: log }),
      recorder,
      firmwareVersion: "demo-1.0.0",
    },
    logger: log,
  });
  station.onEvent((event) => {
    board.apply(stationId, event);
    if (event.type !== "device-done") return;
    results.push(event.result);
    log.info("board done", {
      port: event.port.path,
      status: event.result.status,
      device: event.result.deviceId,
    });
  });

  /**
   * The round's batch report, as `factory flash` writes and sends it: the JSON file first, then
   * the server (queued when the server is away).
   */
  const report = async (batch: BatchResult) => {
    if (batch.results.length === 0) return;
    batches.push(batch);
    // Written even when the demo stops mid-round: bounded by its own timeout, not the signal.
    const { file, report: summary } = await writeBatchReport(o.dir, batch, { timeoutMs: 30_000 });
    reportFiles.push(file);
    // Bounded by the sink's own timeout, so the last round is reported when the demo stops too.
    await records.sendBatchReport(summary, [batch]);
    log.info("batch report written and sent", {
      file,
      batch: batch.batchId,
      passed: summary.totals.passed,
      failed: summary.totals.failed,
    });
  };

  // Rounds, as in `factory flash` batch mode: a board on every port, one batch, its report.
  const rounds = (async () => {
    try {
      if (records.pending() > 0) await records.flush({ signal });
      while (!signal.aborted) {
        for (const port of ports) await plug(port);
        const batch = await station.runBatch({ signal });
        await report(batch);
        // The operator takes the round's boards off the jig after a while and puts fresh ones on.
        await sleep((o.swapAfterMs ?? 6000) * (0.7 + 0.6 * random()), signal);
        for (const port of ports) {
          binding.remove(port.path);
          board.apply(stationId, { type: "port-state", port, state: "empty", at: new Date() });
        }
        await sleep(1500, signal);
      }
    } catch (error) {
      if (!signal.aborted) log.error("flashing station stopped", { error: String(error) });
    }
  })();
  return {
    stationId,
    recordsDir: path.resolve(o.dir),
    reportFiles: () => [...reportFiles],
    results: () => [...results],
    batches: () => [...batches],
    async close() {
      controller.abort();
      await rounds;
      for (const port of ports) binding.remove(port.path);
      await reporter.stop();
      await csv.close();
      await driver.dispose?.();
    },
  };
}
