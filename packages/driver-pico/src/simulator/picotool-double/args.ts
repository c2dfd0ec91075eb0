/** A picotool command line split the way picotool 2.x reads it. */
export interface ParsedArgs {
  command: string;
  flags: Set<string>;
  /** Positional arguments after the command (file names, range bounds). */
  positional: string[];
  options: Map<string, string>;
}

const VALUED = new Set([
  "--bus",
  "--address",
  "--ser",
  "--vid",
  "--pid",
  "-t",
  "-o",
  "--family",
  "-p",
  "-g",
  "-c",
]);

export class ArgsError extends Error {}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command, ...rest] = argv;
  if (!command) throw new ArgsError("No command specified");
  const parsed: ParsedArgs = { command, flags: new Set(), positional: [], options: new Map() };
  for (let i = 0; i < rest.length; i += 1) {
    const a = rest[i]!;
    // `save -p` takes no value; `load -p <partition>` does.
    if (VALUED.has(a) && !(a === "-p" && command !== "load")) {
      const v = rest[i + 1];
      if (v === undefined) throw new ArgsError(`Missing value for ${a}`);
      parsed.options.set(a, v);
      i += 1;
    } else if (a === "-r") {
      const from = rest[i + 1];
      const to = rest[i + 2];
      if (from === undefined || to === undefined) throw new ArgsError("-r needs <from> <to>");
      parsed.options.set("-r", `${from} ${to}`);
      i += 2;
    } else if (a.startsWith("-")) parsed.flags.add(a);
    else parsed.positional.push(a);
  }
  return parsed;
}

/** picotool accepts decimal and 0x-prefixed hex. */
export function parseNumber(text: string, what: string): number {
  const n = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isFinite(n)) throw new ArgsError(`Invalid ${what}: ${text}`);
  return n;
}
