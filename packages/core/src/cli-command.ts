/**
 * How packages contribute commands to the `factory` CLI without depending on it: a package
 * exports `commands: Record<string, CliCommand>` from its `./cli` subpath, and the CLI imports
 * it on demand (so `factory flash` works without the server installed, and vice versa).
 */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  stdin?: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Fires on Ctrl-C / SIGTERM; commands stop cleanly and resolve their exit code. */
  signal: AbortSignal;
}

export interface CliCommand {
  /** One line for `factory --help`. */
  summary: string;
  /** Full usage text for `factory <command> --help`. */
  usage: string;
  /** Runs the command; resolves the process exit code. Errors are printed by the CLI. */
  run(argv: string[], io: CliIO): Promise<number>;
}
