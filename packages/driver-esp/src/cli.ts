/**
 * `factory sim esp`: serves a simulated ESP chip on a pseudo-terminal so that other tools
 * (esptool, esptool-js, a terminal, the driver itself) can be pointed at it.
 */
import type { CliCommand, CliIO } from "@factory/core";
import { CHIPS, type EspFamily } from "./protocol/chips";
import { createEspSimulator } from "./simulator/device";
import { startEspPtyServer } from "./simulator/pty";

const USAGE = `usage: factory sim esp [--pty] [--chip esp32|esp8266|esp32s2|esp32s3|esp32c3|esp32c6] [--mac aa:bb:cc:dd:ee:ff]
                      [--flash-size <MiB>] [--timing real|instant] [--start bootloader|app]

Runs a simulated ESP ROM loader and flasher stub on a pseudo-terminal (made with socat) and
prints its path. Point a tool at it without reset (a pty has no DTR/RTS), e.g.
  esptool.py --port <path> --before no_reset write_flash 0x10000 app.bin
Stops on Ctrl-C and prints what the chip was sent.`;

function parse(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--pty" || a === "esp") continue;
    if (!a.startsWith("--")) throw new Error(`unexpected argument "${a}"\n\n${USAGE}`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith("--")) throw new Error(`${a} needs a value\n\n${USAGE}`);
    out[a.slice(2)] = value;
    i++;
  }
  return out;
}

async function run(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let args: Record<string, string>;
  try {
    args = parse(argv);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const chip = (args.chip ?? "esp32") as EspFamily;
  if (!(chip in CHIPS)) {
    io.stderr.write(`unknown chip "${chip}"; one of ${Object.keys(CHIPS).join(", ")}\n`);
    return 2;
  }
  const flashMiB = Number(args["flash-size"] ?? 4);
  if (![1, 2, 4, 8, 16].includes(flashMiB)) {
    io.stderr.write("--flash-size must be 1, 2, 4, 8 or 16 (MiB)\n");
    return 2;
  }
  const sim = await createEspSimulator({
    chip,
    ...(args.mac ? { mac: args.mac } : {}),
    flashSize: flashMiB * 1024 * 1024,
    timing: args.timing === "instant" ? "instant" : "real",
    resetCircuit: "none",
    startIn: args.start === "app" ? "app" : "bootloader",
  });
  const server = await startEspPtyServer(sim, { signal: io.signal });
  io.stdout.write(
    `${CHIPS[chip].name} simulator on ${server.path} (no reset lines; use no_reset). Ctrl-C stops.\n`,
  );
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.close();
  io.stdout.write(`stopped; commands received: ${JSON.stringify(sim.stats.commands)}\n`);
  return 0;
}

export const simEsp: CliCommand = {
  summary: "run an ESP32/ESP8266 ROM simulator on a pseudo-terminal",
  usage: USAGE,
  run,
};

/** Commands this package adds to the `factory` CLI. */
export const commands: Record<string, CliCommand> = { "sim esp": simEsp };
