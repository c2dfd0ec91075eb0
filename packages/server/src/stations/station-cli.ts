import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import {
  type CliCommand,
  type CliIO,
  createHttpLabelBackend,
  createLogger,
  createStoreLabelBackend,
  type LabelAction,
  type Logger,
  type UnitStore,
} from "@factory/core";
import { resolveConfig } from "../config";
import { createPgUnitStore } from "../stores/pg-store";
import { createSqliteUnitStore } from "../stores/sqlite-store";
import { parseStationsConfig, type ResolvedStationsConfig } from "./config";
import { DebugStation, storeDebugSink } from "./debug-station";
import { httpDebugSink } from "./http-debug-sink";
import { LabelRunner, type LabelStateView } from "./label-runner";
import { labelTemplateFromConfig } from "./label-template";
import { loadStationDriver } from "./load-drivers";

const LABEL_USAGE = `factory label --config server.json [--server URL] [--once]

Runs the labeling station in this terminal: watches the label port (stations.label in the
config), prints every state, and asks "Print label for unit {serial}? (yes/no)" and "Label
printed successfully? (yes/no)" on stdin. With --server the unit records come from that server
with the station token in FACTORY_STATION_TOKEN; otherwise from the config's own database.
Answers typed on a terminal while no question is waiting are dropped; piped answers are taken
in order. --once exits after the first labeled unit. Ctrl-C stops.`;

const DEBUG_USAGE = `factory debug --config server.json [--server URL]

Runs the debug station in this terminal: a unit plugged into the debug port (stations.debug) is
reached over SSH, the seed's logs are pulled and stored (in the config's database, or on the
server given with --server using FACTORY_STATION_TOKEN). Without --server the address comes from
the switch's ARP table only. Ctrl-C stops.`;

interface Setup {
  stations: ResolvedStationsConfig;
  baseDir: string;
  logger: Logger;
  store?: UnitStore;
  server?: { url: string; token: string };
}

async function setup(argv: string[], io: CliIO, usage: string): Promise<Setup | number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", short: "c" },
      server: { type: "string" },
      once: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help || !values.config) {
    io.stdout.write(`${usage}\n`);
    return values.help ? 0 : 2;
  }
  const file = path.resolve(io.cwd, values.config);
  const raw = JSON.parse(readFileSync(file, "utf8")) as { stations?: unknown };
  const stations = parseStationsConfig(raw.stations ?? {});
  const baseDir = path.dirname(file);
  const level = (io.env.FACTORY_LOG_LEVEL as "debug" | "info" | "warn" | "error" | undefined) ?? "warn";
  const logger = createLogger({
    level,
    sink: (r) => io.stderr.write(`${JSON.stringify({ level: r.level, msg: r.message, ...r.fields })}\n`),
  });
  if (values.server) {
    const token = io.env.FACTORY_STATION_TOKEN;
    if (!token) {
      io.stderr.write("Set FACTORY_STATION_TOKEN to a station token of that server.\n");
      return 2;
    }
    return { stations, baseDir, logger, server: { url: values.server, token } };
  }
  const config = resolveConfig({ cwd: io.cwd, env: io.env, configFile: values.config });
  const store =
    config.database.kind === "sqlite"
      ? createSqliteUnitStore({ file: config.database.file, masterKey: config.masterKey, logger })
      : await createPgUnitStore({
          connectionString: config.database.url,
          masterKey: config.masterKey,
          logger,
        });
  return { stations, baseDir, logger, store };
}

const QUESTIONS: Partial<Record<LabelStateView["kind"], [string, LabelAction, LabelAction | undefined]>> = {
  "confirm-print": ["", "print", "skip"],
  "confirm-printed": ["Label printed successfully? (yes/no) ", "printed-ok", "printed-bad"],
  misprint: ["Reprint? (yes/no) ", "reprint", undefined],
  "print-failed": ["Reprint? (yes/no) ", "reprint", undefined],
  error: ["Retry? (yes/no) ", "retry", undefined],
};

async function label(argv: string[], io: CliIO): Promise<number> {
  const s = await setup(argv, io, LABEL_USAGE);
  if (typeof s === "number") return s;
  const once = argv.includes("--once");
  const c = s.stations.label;
  if (!c) {
    io.stderr.write("The config has no stations.label section.\n");
    return 2;
  }
  const context = { baseDir: s.baseDir, logger: s.logger };
  const sw = await loadStationDriver("switch", (c.switch ?? s.stations.switch)!, context);
  const printer = await loadStationDriver("printer", c.printer, context);
  const backend = c.backend
    ? createHttpLabelBackend(c.backend)
    : s.server
      ? createHttpLabelBackend(s.server)
      : createStoreLabelBackend(s.store!, { actor: c.name });
  const runner = new LabelRunner({
    switch: sw,
    port: c.port,
    printer,
    backend,
    template: labelTemplateFromConfig(c.template),
    askBeforePrint: c.askBeforePrint,
    ...(c.timeouts && { timeouts: c.timeouts }),
    logger: s.logger,
  });

  const interactive = (io.stdin as { isTTY?: boolean } | undefined)?.isTTY === true;
  const lines: string[] = [];
  let question: { session: number; yes: LabelAction; no: LabelAction | undefined } | undefined;
  let finished: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finished = resolve;
  });
  let busy = false;
  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      while (question && lines.length > 0) {
        const line = lines.shift()!.trim().toLowerCase();
        const q = question;
        const yes = /^(y|yes|j|ja)$/.test(line);
        const no = /^(n|no|nej)$/.test(line);
        if (!yes && !no) {
          io.stdout.write("Please answer yes or no: ");
          continue;
        }
        const action = yes ? q.yes : q.no;
        question = undefined;
        if (!action) continue;
        const r = await runner.answer(q.session, action).catch((error: Error) => {
          io.stdout.write(`! ${error.message}\n`);
          return undefined;
        });
        if (r && !r.ok) io.stdout.write("That question no longer applies; showing the current unit.\n");
      }
    } finally {
      busy = false;
    }
  };
  const show = (v: LabelStateView) => {
    io.stdout.write(`[${v.kind}] ${v.message}\n`);
    const q = QUESTIONS[v.kind];
    if (q && v.session !== null) {
      question = { session: v.session, yes: q[1], no: q[2] };
      io.stdout.write(q[0] || `${v.message} (yes/no) `);
      if (interactive) lines.length = 0;
      void pump();
    } else question = undefined;
    if (once && v.kind === "done") finished();
  };
  runner.subscribe(show);
  const rl = io.stdin ? createInterface({ input: io.stdin, terminal: false }) : undefined;
  rl?.on("line", (line) => {
    if (!question && interactive) return;
    lines.push(line);
    void pump();
  });
  io.stdout.write(`Label station on port ${c.port}, printer ${printer.name}. Ctrl-C stops.\n`);
  show(runner.view);
  runner.start();
  const aborted = new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.race([done, aborted]);
  rl?.close();
  await runner.close();
  await sw.close();
  await s.store?.close();
  return 0;
}

async function debug(argv: string[], io: CliIO): Promise<number> {
  const s = await setup(argv, io, DEBUG_USAGE);
  if (typeof s === "number") return s;
  const c = s.stations.debug;
  if (!c) {
    io.stderr.write("The config has no stations.debug section.\n");
    return 2;
  }
  const sw = await loadStationDriver("switch", (c.switch ?? s.stations.switch)!, {
    baseDir: s.baseDir,
    logger: s.logger,
  });
  const station = new DebugStation({
    switch: sw,
    port: c.port,
    sink: s.server ? httpDebugSink(s.server) : storeDebugSink(s.store!, c.name),
    addressSources: ["arp"],
    ssh: {
      port: c.ssh.port,
      username: c.ssh.username,
      connectTimeoutMs: c.ssh.connectTimeoutMs,
      ...(c.ssh.password !== undefined && { password: c.ssh.password }),
      ...(c.ssh.privateKeyFile && {
        privateKey: readFileSync(path.resolve(s.baseDir, c.ssh.privateKeyFile)),
      }),
      ...(c.ssh.passphrase !== undefined && { passphrase: c.ssh.passphrase }),
      ...(c.ssh.hostKeys.policy === "fingerprints" && { hostKeySha256: c.ssh.hostKeys.sha256 }),
    },
    commandTimeoutMs: c.commandTimeoutMs,
    maxOutputBytes: c.maxOutputBytes,
    logger: s.logger,
  });
  station.subscribe((r) =>
    io.stdout.write(
      `[${r.status}] ${r.mac}${r.address ? ` at ${r.address}` : ""}${r.error ? `: ${r.error.message}` : ""}${r.items ? ` (${r.items.length} logs stored)` : ""}\n`,
    ),
  );
  io.stdout.write(`Debug station on port ${c.port}. Ctrl-C stops.\n`);
  await station.run({ signal: io.signal });
  await sw.close();
  await s.store?.close();
  return 0;
}

export const labelCommand: CliCommand = {
  summary: "Run the labeling station with a terminal prompt",
  usage: LABEL_USAGE,
  run: label,
};

export const debugCommand: CliCommand = {
  summary: "Run the debug station (SSH log collection) in the terminal",
  usage: DEBUG_USAGE,
  run: debug,
};
