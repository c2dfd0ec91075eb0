import { abortedError, ErrorCodes, type Logger, noopLogger, type SignalOptions } from "@factory/core";
import { execa } from "execa";
import { PICOTOOL_INSTALL_HINT, PicoErrorCodes, PKG, picoError } from "../errors";
import { picotoolFailure } from "./exit-codes";

export interface RunOptions extends SignalOptions {
  /** Kill picotool and reject with `TIMEOUT` after this long. */
  timeoutMs: number;
  /** Every chunk of output (stdout and stderr interleaved) as it arrives. */
  onOutput?: (chunk: string) => void;
}

/** The output of a successful picotool run. */
export interface RunResult {
  output: string;
  durationMs: number;
}

/** Runs one picotool command line; a function so tests and integrators can wrap or replace it. */
export type PicotoolExec = (args: readonly string[], options: RunOptions) => Promise<RunResult>;

/**
 * An exec function for the picotool executable at `tool` (a name looked up on PATH, or a path),
 * through execa: no shell, stdin closed, killed on abort and after `timeoutMs`. Rejects
 * `PICOTOOL_NOT_FOUND` (with how to install it) when the program is missing or not executable,
 * `ABORTED`, `TIMEOUT`, or the code picotool's rc maps to.
 */
export function createPicotoolExec(tool = "picotool", logger: Logger = noopLogger): PicotoolExec {
  return async (args, options) => {
    if (options.signal?.aborted) throw abortedError(options.signal, PKG);
    const started = performance.now();
    logger.debug("picotool", { args: args.join(" ") });
    const child = execa(tool, args, {
      all: true,
      reject: false,
      stdin: "ignore",
      timeout: options.timeoutMs,
      forceKillAfterDelay: 2000,
      ...(options.signal ? { cancelSignal: options.signal } : {}),
      env: { LC_ALL: "C" },
      encoding: "utf8",
      stripFinalNewline: false,
    });
    child.all?.on("data", (chunk: Buffer | string) => options.onOutput?.(chunk.toString()));
    const result = await child;
    const output = typeof result.all === "string" ? result.all : "";
    const durationMs = performance.now() - started;
    if (result.isCanceled || (options.signal?.aborted && result.failed)) {
      throw abortedError(options.signal ?? AbortSignal.abort(), PKG);
    }
    if (result.timedOut) {
      throw picoError(
        ErrorCodes.TIMEOUT,
        `picotool ${args[0]} did not finish within ${options.timeoutMs} ms`,
        {
          details: { command: ["picotool", ...args].join(" "), timeoutMs: options.timeoutMs },
        },
      );
    }
    const spawnCode = (result.cause as { code?: unknown } | undefined)?.code;
    if (spawnCode === "ENOENT" || spawnCode === "EACCES") {
      throw picoError(
        PicoErrorCodes.PICOTOOL_NOT_FOUND,
        `picotool was not found (${tool}${spawnCode === "EACCES" ? " is not executable" : " is not on PATH"}); ${PICOTOOL_INSTALL_HINT}`,
        { retryable: false, cause: result.cause, details: { tool } },
      );
    }
    if (result.exitCode === undefined) {
      throw picoError(
        PicoErrorCodes.PICOTOOL_FAILED,
        `picotool ${args[0]} ended by ${result.signal ?? "an error"}`,
        {
          cause: result.cause,
          details: { command: ["picotool", ...args].join(" "), output: output.slice(-2000) },
        },
      );
    }
    if (result.exitCode !== 0) throw picotoolFailure(args, result.exitCode, output);
    return { output, durationMs };
  };
}
