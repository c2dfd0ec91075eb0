import { createError, ErrorCodes, type FactoryError, type FactoryErrorOptions } from "@factory/core";

/** The package prefix of every message this driver raises. */
export const PKG = "driver-esp";

/**
 * Codes of this driver. The core catalogue codes are used wherever they fit; the ones below are
 * specific to the ESP protocol and keep a stable spelling.
 */
export const EspErrorCodes = {
  ...ErrorCodes,
  /** The ROM or stub answered a command with a failure status (details: command, status, error). */
  ESP_COMMAND_FAILED: "ESP_COMMAND_FAILED",
  /** The uploaded flasher stub did not greet with "OHAI". */
  ESP_STUB_FAILED: "ESP_STUB_FAILED",
  /** The chip stopped answering after a baud rate change, at every rate tried. */
  ESP_BAUD_FAILED: "ESP_BAUD_FAILED",
  /** The magic register holds a value no known chip has. */
  ESP_UNKNOWN_CHIP: "ESP_UNKNOWN_CHIP",
} as const;

/** Creates a coded error of this package. */
export function espError(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}
