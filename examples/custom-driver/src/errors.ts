import { createError, ErrorCodes, type FactoryError, type FactoryErrorOptions } from "@factory/core";

/** The prefix of every message this driver raises: `[line-protocol] …`. */
export const PKG = "line-protocol";

/**
 * Codes this driver raises: the core catalogue wherever a code fits (the pipeline's retry policy
 * knows those), plus its own, spelled once here and stable once published.
 */
export const LineErrorCodes = {
  ...ErrorCodes,
  /** The board answered `ERR <WORD> …` to a command (details: command, reply). Not retried. */
  LINE_DEVICE_ERROR: "LINE_DEVICE_ERROR",
} as const;

/** Creates a coded error of this driver. Callers test it with `isFactoryError(e, code)`, never instanceof. */
export function lineError(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}
