import { createRequire } from "node:module";
import { type CliCommand, type CliIO, closestMatch, isAbortError, isFactoryError } from "@factory/core";
import { COMMAND_PACKAGES, COMMAND_SUMMARIES, packageOf } from "./command-table";
import { configCheck } from "./commands/config-check";
import { flashCommand } from "./commands/flash/command";
import { loadCommand } from "./load-command";
import { EXIT, USAGE_ERROR, usageError } from "./usage-error";

/** Commands that ship with the CLI itself. */
export const BUILTIN_COMMANDS: Readonly<Record<string, CliCommand>> = {
  "config check": configCheck,
  flash: flashCommand,
};

export interface RunCliOptions {
  /** Replaces {@link COMMAND_PACKAGES} (embedding apps, tests). */
  commandPackages?: Readonly<Record<string, string>>;
}

interface Table {
  packages: Readonly<Record<string, string>>;
  names: string[];
}

export function cliVersion(): string {
  return (createRequire(import.meta.url)("../package.json") as { version: string }).version;
}

function topUsage(table: Table): string {
  const width = Math.max(...table.names.map((c) => c.length)) + 2;
  const line = (name: string, summary: string, origin: string): string =>
    `  ${name.padEnd(width)}${summary}${origin ? `  [${origin}]` : ""}`;
  return [
    "Usage: factory [--debug] <command> [options]",
    "",
    "Provision boards and appliance units on a factory line.",
    "",
    "Commands:",
    ...Object.entries(BUILTIN_COMMANDS).map(([name, c]) => line(name, c.summary, "")),
    ...Object.entries(table.packages).map(([name, spec]) =>
      line(name, COMMAND_SUMMARIES[name] ?? "", packageOf(spec)),
    ),
    "",
    "Options:",
    "  -h, --help      show help (also: factory <command> --help)",
    "  -V, --version   print the version",
    "  --debug         print stack traces of errors",
    "",
    "Commands marked [package] come from that package; install it to use them.",
    "Exit codes: 0 ok, 1 failure, 2 usage error.",
  ].join("\n");
}

/**
 * Runs `factory` with `argv` (without node and script) and resolves the exit code. Prints only
 * through `io`; never throws. Errors print as `error CODE: message` on stderr (stack with --debug).
 *
 * @example
 * const code = await runCli(["config", "check", "factory-config.yaml"], io);
 */
export async function runCli(
  argv: readonly string[],
  io: CliIO,
  options: RunCliOptions = {},
): Promise<number> {
  const packages = options.commandPackages ?? COMMAND_PACKAGES;
  const table: Table = { packages, names: [...Object.keys(BUILTIN_COMMANDS), ...Object.keys(packages)] };
  const args = [...argv];
  const debug = takeFlag(args, "--debug");
  try {
    const first = args[0];
    if (first === undefined || first === "-h" || first === "--help") {
      io.stdout.write(`${topUsage(table)}\n`);
      return first === undefined ? EXIT.USAGE : EXIT.OK;
    }
    if (first === "-V" || first === "--version") {
      io.stdout.write(`${cliVersion()}\n`);
      return EXIT.OK;
    }
    if (first === "help") return await printHelp(args.slice(1), io, table);
    if (first.startsWith("-")) throw usageError(`unknown option ${first}; run factory --help`);

    const { name, rest } = matchCommand(args, table);
    const command = await resolveCommand(name, io, table);
    if (rest.includes("-h") || rest.includes("--help")) {
      io.stdout.write(`${command.usage}\n`);
      return EXIT.OK;
    }
    return await command.run(rest, io);
  } catch (error) {
    return report(error, io, debug);
  }
}

async function printHelp(words: string[], io: CliIO, table: Table): Promise<number> {
  if (words.length === 0) {
    io.stdout.write(`${topUsage(table)}\n`);
    return EXIT.OK;
  }
  const { name } = matchCommand(words, table);
  io.stdout.write(`${(await resolveCommand(name, io, table)).usage}\n`);
  return EXIT.OK;
}

/** The longest command name that `args` starts with, and the arguments after it. */
function matchCommand(args: string[], table: Table): { name: string; rest: string[] } {
  const all = table.names;
  for (const words of [2, 1]) {
    const name = args.slice(0, words).join(" ");
    if (args.length >= words && all.includes(name)) return { name, rest: args.slice(words) };
  }
  const group = args[0]!;
  const inGroup = all.filter((c) => c.startsWith(`${group} `));
  if (inGroup.length > 0) {
    const sub = args[1];
    const typed = sub === undefined || sub.startsWith("-") ? "" : ` "${sub}"`;
    const hint = sub && !sub.startsWith("-") ? suggestion(`${group} ${sub}`, inGroup) : "";
    throw usageError(
      `factory ${group} needs a subcommand${typed ? `; unknown${typed}` : ""}${hint}. Try: ${inGroup.map((c) => `factory ${c}`).join(", ")}`,
    );
  }
  const twoWords = args.length > 1 ? suggestion(args.slice(0, 2).join(" "), all) : "";
  throw usageError(
    `unknown command "${group}"${
      twoWords ||
      suggestion(
        group,
        all.map((c) => c.split(" ")[0]!),
      )
    }; run factory --help`,
  );
}

function suggestion(input: string, candidates: string[]): string {
  const match = closestMatch(input, new Set(candidates));
  return match === undefined ? "" : ` (did you mean "${match}"?)`;
}

async function resolveCommand(name: string, io: CliIO, table: Table): Promise<CliCommand> {
  const builtin = BUILTIN_COMMANDS[name];
  if (builtin) return builtin;
  return loadCommand(name, table.packages[name]!, io.cwd);
}

function report(error: unknown, io: CliIO, debug: boolean): number {
  if (isParseArgsError(error)) {
    const first = (error as Error).message.split(/\.\s/)[0]!.replace(/\.$/, "");
    io.stderr.write(`error ${USAGE_ERROR}: ${first}; see --help\n`);
    return EXIT.USAGE;
  }
  if (isAbortError(error)) {
    io.stderr.write("error ABORTED: stopped\n");
    return EXIT.FAILURE;
  }
  const code = isFactoryError(error) ? error.code : "INTERNAL";
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`error ${code}: ${message.replace(/^\[[\w-]+\] /, "")}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return code === USAGE_ERROR ? EXIT.USAGE : EXIT.FAILURE;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

function takeFlag(args: string[], flag: string): boolean {
  const index = args.indexOf(flag);
  if (index < 0) return false;
  args.splice(index, 1);
  return true;
}
