import { createError, type FactoryError, type FactoryErrorOptions, isFactoryError } from "@factory/core";

/** Package name used as the prefix of every message. */
export const PKG = "driver-procurve";

/** Codes this package adds to the core catalogue. */
export const ProcurveErrorCodes = {
  /** A trap came from a source or community that is not allowed; it was dropped. */
  TRAP_REJECTED: "TRAP_REJECTED",
  /** The SSH CLI answered with `Invalid input` or output that could not be read. */
  CLI_ERROR: "CLI_ERROR",
} as const;

/** A coded error of this package. */
export function procurveError(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}

/** The code of a coded error, or `INTERNAL`. */
export function codeOf(error: unknown): string {
  return isFactoryError(error) ? error.code : "INTERNAL";
}
