import { createError, ErrorCodes, type FactoryError, type FactoryErrorOptions } from "@factory/core";

/** The package prefix of every message this driver raises. */
export const PKG = "driver-avr";

/** Codes this driver raises: the core catalogue (SYNC_FAILED, DEVICE_MISMATCH, PLAN_INVALID, …). */
export const AvrErrorCodes = { ...ErrorCodes } as const;

/** Creates a coded error of this package. */
export function avrError(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}
