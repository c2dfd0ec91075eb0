import { createError, type FactoryError, type FactoryErrorOptions } from "@factory/core";

/** The package name every error message of this package starts with. */
export const PKG = "printers";

/** A coded error of this package: `[printers] …`. */
export function printerError(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}
