import { createError, type FactoryError } from "@factory/core";

/** Exit codes of `factory`. */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2 } as const;

/** Code of errors in how the command was typed; they exit 2. */
export const USAGE_ERROR = "USAGE_ERROR";

/** Code of a command whose package is not installed. */
export const COMMAND_NOT_INSTALLED = "COMMAND_NOT_INSTALLED";

export function usageError(message: string, details: Record<string, unknown> = {}): FactoryError {
  return createError("cli", USAGE_ERROR, message, { details, retryable: false });
}
