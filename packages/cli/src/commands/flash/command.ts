import path from "node:path";
import { parseArgs } from "node:util";
import {
  type CliCommand,
  type CliIO,
  CONFIG_FILE_NAMES,
  createLogger,
  findConfigFile,
  type LogSink,
  loadConfig,
} from "@factory/core";
import { usageError } from "../../usage-error";
import { LiveView } from "./live-view";
import { createRotatingLogSink } from "./rotating-log";
import { flashLine } from "./run-flash";
import { formatSummary } from "./summary";

const USAGE = `Usage: factory flash [--config FILE] [--station ID]... [--batch-size N] [--test-mode] [--continuous]
                     [--server URL]

Flashes the boards on the ports of the stations in the config, all ports at once: detect,
identify, write, verify, console tests, quality gates, registration, QR code, records. Shows one
live line per port (plain lines when not on a terminal), then a table of every device. Exits 0
when every device passed, 1 otherwise (also when no device was found, or a batch was
stopped with Ctrl-C; in continuous mode Ctrl-C is the normal end).

Options:
  --config FILE     the line's config (default: the first of ${CONFIG_FILE_NAMES.join(", ")})
  --station ID      run only this station (repeatable; default: every station)
  --batch-size N    at most N devices per station
  --test-mode       detect and identify only: nothing is written, registered or recorded
  --continuous      flash whatever is plugged in until Ctrl-C; a board is flashed again only
                    after it was unplugged
  --server URL      the production server that shows the ports live and keeps every device's
                    record and each batch report (default: the config's registration
                    service); station token from registration.token_env, else
                    FACTORY_SERVER_TOKEN. Queued in output_dir while it is down.
  --sim-timing T    for sim:<chip>-<n> ports: instant (default) or real (wire-accurate)
  -h, --help        show this help

Ports named sim:esp32-0, sim:esp8266-1 … are ESP simulators in this process (needs
@factory/driver-esp), for trying a line without hardware.

Output (in output_dir): factory_records_YYYYMMDD.csv, batch_report_*.json, qr/<device>.png,
registration-queue.jsonl (registrations waiting for the server),
server-records-queue.jsonl (records and reports waiting for the server), and the log file of the
config's logging block, rotated at max_file_size with backup_count old files.
Ctrl-C stops cleanly: devices being flashed are aborted, finished ones are recorded.`;

export const flashCommand: CliCommand = {
  summary: "flash the boards on a station's ports",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: false,
      strict: true,
      options: {
        config: { type: "string" },
        station: { type: "string", multiple: true },
        "batch-size": { type: "string" },
        "test-mode": { type: "boolean", default: false },
        continuous: { type: "boolean", default: false },
        "sim-timing": { type: "string" },
        server: { type: "string" },
      },
    });
    void positionals;
    let batchSize: number | undefined;
    if (values["batch-size"] !== undefined) {
      batchSize = Number(values["batch-size"]);
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw usageError(`--batch-size must be a whole number of at least 1, got "${values["batch-size"]}"`);
      }
    }
    const simTiming = values["sim-timing"];
    if (simTiming !== undefined && simTiming !== "instant" && simTiming !== "real") {
      throw usageError(`--sim-timing is instant or real, got "${simTiming}"`);
    }
    if (values.continuous && batchSize !== undefined) {
      throw usageError("--batch-size and --continuous do not go together");
    }
    if (values.server !== undefined && !/^https?:\/\/[^/]/.test(values.server)) {
      throw usageError(`--server must be an http:// or https:// URL, got "${values.server}"`);
    }
    let file = values.config;
    if (file === undefined) {
      const found = await findConfigFile(io.cwd);
      if (!found)
        throw usageError(`no --config given, and none of ${CONFIG_FILE_NAMES.join(", ")} in ${io.cwd}`);
      file = found;
    }
    const config = await loadConfig(path.resolve(io.cwd, file), { cwd: io.cwd, signal: io.signal });

    const view = new LiveView(io);
    const sinks: LogSink[] = [
      createRotatingLogSink({
        file: config.logging.file,
        maxFileSize: config.logging.maxFileSize,
        backupCount: config.logging.backupCount,
      }),
    ];
    if (config.logging.consoleOutput && io.stdout.isTTY !== true) {
      sinks.push(({ level, message }) => io.stderr.write(`${level}: ${message}\n`));
    }
    const logger = createLogger({
      level: config.logging.level,
      sink: (r) => {
        for (const s of sinks) s(r);
      },
    });
    const testMode = values["test-mode"];
    logger.info("factory flash started", {
      config: config.file,
      mode: values.continuous ? "continuous" : "batch",
      testMode,
      stations: values.station ?? [],
    });
    let result: Awaited<ReturnType<typeof flashLine>>;
    try {
      result = await flashLine({
        config,
        mode: values.continuous ? "continuous" : "batch",
        testMode,
        stationIds: values.station ?? [],
        ...(batchSize !== undefined && { batchSize }),
        signal: io.signal,
        logger,
        env: io.env,
        ...(simTiming && { simTiming }),
        ...(values.server !== undefined && { serverUrl: values.server }),
        onStations: (stations) => {
          for (const { station } of stations)
            for (const port of station.ports) view.addPort(station.id, port);
        },
        onEvent: (station, event) => view.event(station, event),
      });
    } finally {
      view.stop();
    }
    io.stdout.write(`\n${formatSummary(result.batches, testMode)}`);
    // Ports the table does not list: nothing answered there, or the batch size was reached.
    const idle = (state: string) =>
      view.board
        .all()
        .filter((v) => v.state === state)
        .map((v) => `${v.station} ${v.port}`);
    if (idle("empty").length > 0) io.stdout.write(`no device answered on: ${idle("empty").join(", ")}\n`);
    if (idle("present").length > 0) {
      io.stdout.write(`not flashed (batch size reached): ${idle("present").join(", ")}\n`);
    }
    if (result.reportFile) io.stdout.write(`batch report: ${result.reportFile}\n`);
    if (result.pendingRegistrations > 0) {
      io.stdout.write(
        `${result.pendingRegistrations} registration(s) queued: the server is unreachable; they are sent on the next run\n`,
      );
    }
    if (result.pendingRecords > 0) {
      io.stdout.write(
        `${result.pendingRecords} record(s)/report(s) queued: the server is unreachable; they are sent on the next run\n`,
      );
    }
    const results = result.batches.flatMap((b) => b.results);
    logger.info("factory flash finished", {
      devices: results.length,
      passed: results.filter((r) => r.status === "passed").length,
      aborted: result.aborted,
    });
    if (results.length === 0) {
      io.stderr.write("no device found on the stations' ports\n");
      return 1;
    }
    // Ctrl-C is how continuous mode ends; a batch stopped early did not pass as a whole.
    const stoppedEarly = result.aborted && !values.continuous;
    return !stoppedEarly && results.every((r) => r.status === "passed") ? 0 : 1;
  },
};
