import path from "node:path";
import { parseArgs } from "node:util";
import { type CliCommand, type CliIO, createError, createLogger, ErrorCodes } from "@factory/core";
import { tcpPortFree } from "./free-port";
import { startDemo } from "./start-demo";
import { DEFAULT_SPEED } from "./timing";

const DEMO_USAGE = `factory demo [--dir DIR] [--port N] [--host ADDR] [--units N] [--speed X] [--esp-ports N] [--verbose]

Runs the virtual factory on this machine, no hardware and no services needed: the production
server (fresh SQLite database in DIR, default .factory/demo), a simulated HP ProCurve 2810 (SNMP
and link traps on loopback) watched by the labeling station on port 21 (labels as PDF files in
DIR/labels) and the debug station on port 22 (logs pulled over SSH from failed units), N
simulated appliance units building on ports 1..N (default 20; a few fail a self-test, one goes
stuck; each answers SSH) and an ESP32 flashing station on simulated boards (default 4 ports; its
daily records CSV and batch reports in DIR/esp-station).
Prints the pages to open and the tokens they need. Ctrl-C stops everything.

  --port N       HTTP port (default 8080, or a free port when 8080 is taken)
  --host ADDR    listen address (default 127.0.0.1)
  --speed X      the factory clock's speed-up (default ${DEFAULT_SPEED}: a build takes 1-2 minutes)
  --verbose      log every part's JSON lines on stderr (default: warnings only)

For production, run \`factory serve\` with your own configuration.`;

const count = (name: string, text: string | undefined, min: number, max: number, fallback: number) => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw createError(
      "demo",
      ErrorCodes.INVALID_ARGUMENT,
      `--${name} must be a whole number from ${min} to ${max}`,
    );
  return n;
};

async function demo(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: "string" },
      port: { type: "string", short: "p" },
      host: { type: "string" },
      units: { type: "string" },
      speed: { type: "string" },
      "esp-ports": { type: "string" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    io.stdout.write(`${DEMO_USAGE}\n`);
    return 0;
  }
  const host = values.host ?? "127.0.0.1";
  let port = count("port", values.port, 0, 65535, 8080);
  if (values.port === undefined && !(await tcpPortFree(host, port))) {
    io.stderr.write(`Port ${port} is busy; using a free port instead.\n`);
    port = 0;
  }
  const speed = values.speed === undefined ? DEFAULT_SPEED : Number(values.speed);
  const logger = createLogger({
    level: values.verbose ? "info" : "warn",
    sink: (r) =>
      io.stderr.write(
        `${JSON.stringify({ time: r.time.toISOString(), level: r.level, msg: r.message, ...r.fields })}\n`,
      ),
  });
  const dir = path.resolve(io.cwd, values.dir ?? ".factory/demo");
  const running = await startDemo({
    dir,
    host,
    port,
    speed,
    units: count("units", values.units, 1, 20, 20),
    espPorts: count("esp-ports", values["esp-ports"], 0, 16, 4),
    logger,
  });
  const t = running.tokens;
  io.stdout.write(
    [
      `Virtual factory running at ${running.url}`,
      "",
      `  Demo page      ${running.links.demo}`,
      `  Dashboard      ${running.links.dashboard}`,
      `  Label station  ${running.links.labelStation}`,
      `  Debug station  ${running.links.debugStation}`,
      `  Board line     ${running.links.boardLine}`,
      "",
      "  The demo page keeps the operator token in your browser; the other pages then open signed in.",
      `  Operator token ${t.operator}`,
      `  Admin token    ${t.admin}`,
      "",
      `  Switch: simulated ProCurve 2810 at udp://${running.switchSimulator.host}:${running.switchSimulator.port} (community factory-demo)`,
      `  Labels: ${running.labelsDir}`,
      ...(running.recordsDir
        ? [`  ESP records: ${running.recordsDir} (factory_records_YYYYMMDD.csv, batch_report_*.json)`]
        : []),
      "  Tokens and database are new at every start. Ctrl-C stops.",
      "",
    ].join("\n"),
  );
  const off = running.server.events.subscribe((e) => {
    if (e.type === "unit" && ["ready", "failed", "labeled"].includes(e.status))
      io.stdout.write(
        `${new Date(e.at).toLocaleTimeString()}  port ${e.port ?? "?"}  ${e.mac}  ${e.status}\n`,
      );
    if (e.type === "stuck")
      io.stdout.write(`${new Date(e.at).toLocaleTimeString()}  stuck: ${e.macs.join(", ")}\n`);
  });
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  off();
  io.stdout.write("Stopping: units, flashing station, label and debug stations, switch, server…\n");
  await running.close();
  io.stdout.write("Stopped.\n");
  return 0;
}

/** Commands `@factory/demo` adds to the `factory` CLI. */
export const commands: Record<string, CliCommand> = {
  demo: {
    summary: "Run the virtual factory: server, simulated switch, units, flashing station, labels",
    usage: DEMO_USAGE,
    run: demo,
  },
};
