import { createError, ErrorCodes, type FactoryError, type FactoryErrorOptions } from "@factory/core";

/** The package prefix of every message this driver raises. */
export const PKG = "driver-pico";

/**
 * Codes of this driver: the core catalogue (NO_DEVICE, IMAGE_INVALID, PLAN_INVALID, …) plus the
 * ones below, whose spelling is stable.
 */
export const PicoErrorCodes = {
  ...ErrorCodes,
  /** picotool is not installed or not executable; the message says how to install it. */
  PICOTOOL_NOT_FOUND: "PICOTOOL_NOT_FOUND",
  /** picotool failed in a way no core code describes (its rc and output are in `details`). */
  PICOTOOL_FAILED: "PICOTOOL_FAILED",
  /** The UF2 targets another chip family than the board's (an RP2350 image for an RP2040). */
  UF2_WRONG_FAMILY: "UF2_WRONG_FAMILY",
} as const;

/** How to install picotool, quoted in every PICOTOOL_NOT_FOUND message. */
export const PICOTOOL_INSTALL_HINT =
  "install picotool 2.x: `apt-get install picotool` on Debian 13 (trixie) or a recent Ubuntu (check that `picotool version` says 2.x); " +
  "on Debian 12 build it from the raspberrypi/picotool sources (cmake, libusb-1.0-0-dev, the pico-sdk), " +
  "or pass the driver option `picotool` with the path of the executable";

/** Creates a coded error of this package. */
export function picoError(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}
