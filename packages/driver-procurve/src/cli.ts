/**
 * `factory sim procurve`: runs a simulated ProCurve switch (SNMP agent with link traps) in the
 * foreground, and plugs or unplugs devices from commands typed on stdin.
 */
import { createInterface } from "node:readline";
import { type CliCommand, type CliIO, isFactoryError } from "@factory/core";
import { SIMULATED_MODELS, type SimulatedModelName } from "./simulator/models";
import { type ProcurveSimulator, startProcurveSimulator, type TrapTarget } from "./simulator/simulator";

const USAGE = `usage: factory sim procurve [--host 127.0.0.1] [--port 1161] [--community public]
                           [--model 2810-24G] [--trap host:port]... [--learn-delay 300]
                           [--vlan port=vid]...

Runs a simulated HP ProCurve switch: an SNMP v2c/v1 agent on UDP (system, IF-MIB, BRIDGE-MIB,
Q-BRIDGE-MIB, ARP table) that sends linkUp/linkDown traps to each --trap target.
--vlan 21=100 makes port 21 untagged in VLAN 100 (dot1qPvid); other ports are in VLAN 1.
Models: ${Object.keys(SIMULATED_MODELS).join(", ")}.
Commands on stdin:
  plug <port> <mac> [ip]   link up, then the MAC (and ARP entry) appears
  unplug <port>            link down, the port's MACs are flushed
  ports                    list ports that are up and their MACs
  help
Ctrl-C stops.`;

interface Args {
  host: string;
  port: number;
  community?: string;
  model: SimulatedModelName;
  traps: TrapTarget[];
  learnDelayMs?: number;
  vlans: Record<string, number>;
}

function parse(argv: string[]): Args {
  const args: Args = { host: "127.0.0.1", port: 1161, model: "2810-24G", traps: [], vlans: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "procurve") continue;
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"`);
    const value = argv[++i];
    if (value === undefined || value.startsWith("--")) throw new Error(`${a} needs a value`);
    switch (a) {
      case "--host":
        args.host = value;
        break;
      case "--port":
        args.port = Number(value);
        if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) {
          throw new Error(`--port ${value} is not a UDP port`);
        }
        break;
      case "--community":
        args.community = value;
        break;
      case "--model":
        if (!(value in SIMULATED_MODELS)) throw new Error(`unknown model "${value}"`);
        args.model = value as SimulatedModelName;
        break;
      case "--trap": {
        const m = /^(.+):(\d+)$/.exec(value);
        if (!m) throw new Error(`--trap ${value} is not host:port`);
        args.traps.push({ host: m[1]!.replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) });
        break;
      }
      case "--vlan": {
        const m = /^([\w/-]+)=(\d+)$/.exec(value);
        if (!m) throw new Error(`--vlan ${value} is not port=vid`);
        args.vlans[m[1]!] = Number(m[2]);
        break;
      }
      case "--learn-delay":
        args.learnDelayMs = Number(value);
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  return args;
}

/** Runs one stdin command against the simulator; returns the line to print. */
export function runSimCommand(sim: ProcurveSimulator, line: string): string | undefined {
  const [cmd, ...rest] = line.trim().split(/\s+/);
  if (!cmd) return undefined;
  switch (cmd) {
    case "plug": {
      const [port, mac, ip] = rest;
      if (!port || !mac || rest.length > 3) return "usage: plug <port> <mac> [ip]";
      sim.plug(port, { mac, ...(ip ? { ip } : {}) });
      return `port ${port}: link up, ${mac}${ip ? ` (${ip})` : ""} learned shortly`;
    }
    case "unplug": {
      const [port] = rest;
      if (!port || rest.length > 1) return "usage: unplug <port>";
      sim.unplug(port);
      return `port ${port}: link down`;
    }
    case "ports":
      return sim
        .ports()
        .filter((p) => p.up)
        .map(
          (p) =>
            `${p.port.padStart(3)}  up  vlan ${String(p.vlan).padEnd(4)}  ${p.macs.length > 3 ? `${p.macs.length} MACs` : p.macs.join(" ")}`,
        )
        .join("\n");
    case "help":
      return "plug <port> <mac> [ip] | unplug <port> | ports | help";
    default:
      return `unknown command "${cmd}"; try help`;
  }
}

async function run(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let args: Args;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const sim = await startProcurveSimulator({
    host: args.host,
    port: args.port,
    model: args.model,
    trapTargets: args.traps,
    vlans: args.vlans,
    ...(args.community ? { community: args.community } : {}),
    ...(args.learnDelayMs !== undefined ? { learnDelayMs: args.learnDelayMs } : {}),
  });
  const traps = args.traps.map((t) => `${t.host}:${t.port}`).join(", ");
  io.stdout.write(
    `ProCurve ${args.model} simulator on udp ${sim.host}:${sim.port}` +
      `${traps ? `, traps to ${traps}` : ", no trap targets"}. Type help; Ctrl-C stops.\n`,
  );
  const rl = io.stdin ? createInterface({ input: io.stdin, terminal: false }) : undefined;
  rl?.on("line", (line) => {
    try {
      const out = runSimCommand(sim, line);
      if (out) io.stdout.write(`${out}\n`);
    } catch (error) {
      io.stderr.write(`${isFactoryError(error) ? error.message : String(error)}\n`);
    }
  });
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  rl?.close();
  await sim.close();
  io.stdout.write("simulator stopped\n");
  return 0;
}

/** `factory sim procurve`: the simulated switch in the foreground, driven from stdin. */
export const simProcurve: CliCommand = {
  summary: "run a simulated HP ProCurve switch (SNMP agent with link traps)",
  usage: USAGE,
  run,
};

/** Commands this package adds to the `factory` CLI. */
export const commands: Record<string, CliCommand> = { "sim procurve": simProcurve };
