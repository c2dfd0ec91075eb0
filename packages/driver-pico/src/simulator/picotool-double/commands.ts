import { writeFileSync } from "node:fs";
import path from "node:path";
import type { SimPico } from "../device";
import { SECTOR_SIZE } from "../flash";
import { ArgsError, type ParsedArgs, parseArgs, parseNumber } from "./args";
import { Failure, FLASH_BASE, RC } from "./failure";
import { Bar, deviceName, formatGroups, infoGroups } from "./format";
import { readImage, sectorsOf } from "./image";

/** What the double needs from the simulated USB host. */
export interface DoubleHost {
  boards(): SimPico[];
  /** Reboots a board (after the command's process has ended, as USB re-enumeration does). */
  reboot(board: SimPico, mode: "app" | "bootsel"): void;
  /** Simulated flash write speed (bytes/s); each erased+programmed sector takes its share. */
  bytesPerSecond: number;
}

/** One run of the double: where output goes, and whether the caller killed the process. */
export interface DoubleIo {
  out(text: string): void;
  readonly cancelled: boolean;
}

/** Runs one picotool command line against the simulated boards; resolves picotool's rc. */
export async function runDoubleCommand(
  argv: readonly string[],
  cwd: string,
  host: DoubleHost,
  io: DoubleIo,
): Promise<number> {
  try {
    const args = parseArgs(argv);
    switch (args.command) {
      case "version":
        io.out("picotool v2.3.0 (Linux, GNU-12.2.0, Release)\n");
        return 0;
      case "info":
        return info(args, host, io);
      case "load":
        return await load(args, cwd, host, io);
      case "verify":
        return await verify(args, cwd, host, io);
      case "save":
        return await save(args, cwd, host, io);
      case "reboot":
        return reboot(args, host, io);
      default:
        throw new Failure(RC.ARGS, `Unknown command: ${args.command}`);
    }
  } catch (error) {
    if (error instanceof ArgsError) {
      io.out(`ERROR: ${error.message}\n`);
      return RC.ARGS;
    }
    if (error instanceof Failure) {
      io.out(error.prefixed ? `ERROR: ${error.message}\n` : `${error.message}\n`);
      return error.rc;
    }
    io.out(`ERROR: ${(error as Error).message}\n`);
    return RC.UNKNOWN;
  }
}

function filterText(args: ParsedArgs): { single: string; plural: string } {
  const bus = args.options.get("--bus");
  const address = args.options.get("--address");
  const ser = args.options.get("--ser");
  if (bus !== undefined && address !== undefined)
    return { single: ` at bus ${bus}, address ${address}`, plural: "" };
  if (address !== undefined) return { single: "", plural: ` with address ${address}` };
  if (bus !== undefined) return { single: "", plural: ` on bus ${bus}` };
  if (ser !== undefined) return { single: "", plural: ` with serial number ${ser}` };
  return { single: "", plural: "" };
}

function matches(board: SimPico, args: ParsedArgs): boolean {
  const bus = args.options.get("--bus");
  const address = args.options.get("--address");
  const ser = args.options.get("--ser");
  if (bus !== undefined && parseNumber(bus, "bus") !== board.bus) return false;
  if (address !== undefined && parseNumber(address, "address") !== board.address) return false;
  if (ser !== undefined && ser !== board.usb.serial) return false;
  return board.mode !== "unplugged";
}

/** The BOOTSEL boards the command line selects, or picotool's "no device" answer. */
function select(args: ParsedArgs, host: DoubleHost, single: boolean): SimPico[] {
  const seen = host.boards().filter((b) => matches(b, args));
  const usable = seen.filter((b) => b.mode === "bootsel" && !b.inaccessible);
  if (usable.length === 0) {
    const f = filterText(args);
    let message = f.single
      ? `No accessible RP-series device in BOOTSEL mode was found${f.single}.`
      : `No accessible RP-series devices in BOOTSEL mode were found${f.plural}.`;
    const notes = seen.map((b) =>
      b.mode === "bootsel"
        ? `${deviceName(b)} appears to be in BOOTSEL mode, but picotool was unable to connect. Maybe try 'sudo' or check your permissions.`
        : `${deviceName(b)} appears to have a USB serial connection, so consider -f (or -F) to force reboot in order to run the command.`,
    );
    if (notes.length > 0) message += `\nbut:\n\n${notes.join("\n")}`;
    throw new Failure(RC.NO_DEVICE, message, false);
  }
  if (single && usable.length > 1)
    throw new Failure(RC.NOT_POSSIBLE, "Command requires a single RP-series device to be targeted.");
  return usable;
}

function info(args: ParsedArgs, host: DoubleHost, io: DoubleIo): number {
  const boards = select(args, host, false);
  const all = args.flags.has("-a");
  const some = ["-b", "-p", "-d", "-l", "-m"].some((f) => args.flags.has(f));
  const which = {
    program: all || args.flags.has("-b") || !some,
    pins: all || args.flags.has("-p") || !some,
    build: all || args.flags.has("-b") || !some,
    device: all || args.flags.has("-d"),
    debug: all || args.flags.has("--debug"),
  };
  if (boards.length > 1) {
    io.out("Multiple RP-series devices in BOOTSEL mode found:\n");
    for (const b of boards) {
      const heading = `${deviceName(b)}:`;
      io.out(`\n${heading}\n${"-".repeat(heading.length + 1)}\n${formatGroups(infoGroups(b, which))}`);
    }
    return 0;
  }
  io.out(formatGroups(infoGroups(boards[0]!, which)));
  return 0;
}

async function pace(host: DoubleHost, bytes: number): Promise<void> {
  const ms = (bytes / host.bytesPerSecond) * 1000;
  await new Promise((r) => (ms >= 1 ? setTimeout(r, ms) : setImmediate(r)));
}

function alive(board: SimPico, io: DoubleIo): void {
  if (io.cancelled) throw new Failure(RC.CANCELLED, "Cancelled");
  if (board.mode !== "bootsel")
    throw new Failure(RC.CONNECTION, `Communication with ${board.chip} device failed`);
}

async function compare(
  board: SimPico,
  sectors: ReturnType<typeof sectorsOf>,
  host: DoubleHost,
  io: DoubleIo,
): Promise<boolean> {
  const bar = new Bar("Verifying Flash:    ", io.out);
  let ok = true;
  let i = 0;
  for (const [sector, entry] of sectors) {
    alive(board, io);
    const held = board.flash.read(sector, SECTOR_SIZE);
    for (const [from, to] of entry.used) {
      for (let k = from; k < to; k += 1) if (held[k] !== entry.data[k]) ok = false;
    }
    await pace(host, SECTOR_SIZE / 4);
    bar.update((++i * 100) / sectors.size);
  }
  bar.end();
  return ok;
}

async function load(args: ParsedArgs, cwd: string, host: DoubleHost, io: DoubleIo): Promise<number> {
  const [board] = select(args, host, true);
  const image = readImage(args, cwd, board!);
  const sectors = sectorsOf(image, board!);
  board!.busy = true;
  try {
    const bar = new Bar("Loading into Flash: ", io.out);
    let i = 0;
    for (const [sector, entry] of sectors) {
      alive(board!, io);
      const same =
        args.flags.has("-u") && Buffer.from(board!.flash.read(sector, SECTOR_SIZE)).equals(entry.data);
      if (!same) {
        await pace(host, SECTOR_SIZE);
        alive(board!, io);
        board!.flash.eraseSector(sector);
        board!.flash.program(sector, entry.data);
      }
      bar.update((++i * 100) / sectors.size);
    }
    bar.end();
    if (args.flags.has("-v")) {
      if (!(await compare(board!, sectors, host, io))) {
        io.out("  FAILED\n");
        throw new Failure(RC.VERIFY, "The device contents did not match the file");
      }
      io.out("  OK\n");
    }
  } finally {
    board!.busy = false;
  }
  if (args.flags.has("-x")) {
    io.out("\nThe device was rebooted to start the application.\n");
    host.reboot(board!, "app");
  }
  return 0;
}

async function verify(args: ParsedArgs, cwd: string, host: DoubleHost, io: DoubleIo): Promise<number> {
  const [board] = select(args, host, true);
  const sectors = sectorsOf(readImage(args, cwd, board!), board!);
  if (!(await compare(board!, sectors, host, io))) {
    io.out("  FAILED\n");
    throw new Failure(RC.VERIFY, "The device contents did not match the file");
  }
  io.out("  OK\n");
  return 0;
}

async function save(args: ParsedArgs, cwd: string, host: DoubleHost, io: DoubleIo): Promise<number> {
  const [board] = select(args, host, true);
  const file = args.positional[0];
  if (!file) throw new ArgsError("Missing filename");
  const type = args.options.get("-t") ?? path.extname(file).slice(1).toLowerCase();
  if (type !== "bin")
    throw new Failure(RC.ARGS, `Saving as '${type}' is not handled by this picotool test double (bin only)`);
  let from = FLASH_BASE;
  let to = FLASH_BASE + board!.flash.size;
  const range = args.options.get("-r");
  if (range) {
    const [a, b] = range.split(" ");
    from = parseNumber(a!, "from");
    to = parseNumber(b!, "to");
  } else if (!args.flags.has("-a")) {
    throw new Failure(
      RC.NOT_POSSIBLE,
      "Cannot determine the binary size; use -a or -r (no binary info in this image)",
    );
  }
  if (from < FLASH_BASE || to > FLASH_BASE + board!.flash.size || to <= from) {
    throw new Failure(RC.ARGS, `Save range 0x${from.toString(16)}-0x${to.toString(16)} is outside the flash`);
  }
  const out = Buffer.alloc(to - from);
  const bar = new Bar("Saving file: ", io.out);
  for (let at = from; at < to; at += SECTOR_SIZE) {
    alive(board!, io);
    const n = Math.min(SECTOR_SIZE, to - at);
    out.set(board!.flash.read(at - FLASH_BASE, n), at - from);
    await pace(host, n / 4);
    bar.update(((at + n - from) * 100) / (to - from));
  }
  bar.end();
  writeFileSync(path.resolve(cwd, file), out);
  io.out(`Wrote ${out.length} bytes to ${file}\n`);
  return 0;
}

function reboot(args: ParsedArgs, host: DoubleHost, io: DoubleIo): number {
  const [board] = select(args, host, true);
  const bootsel = args.flags.has("-u");
  io.out(`The device was rebooted into ${bootsel ? "BOOTSEL" : "application"} mode.\n`);
  host.reboot(board!, bootsel ? "bootsel" : "app");
  return 0;
}
