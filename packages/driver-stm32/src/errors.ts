import { createError, ErrorCodes, type FactoryError, type FactoryErrorOptions } from "@factory/core";

/** The package prefix of every message this driver raises. */
export const PKG = "driver-stm32";

/**
 * Codes of this driver. Core catalogue codes are used wherever they fit; the ones below are
 * specific to the STM32 bootloaders and keep a stable spelling.
 */
export const Stm32ErrorCodes = {
  ...ErrorCodes,
  /** The UART bootloader answered NACK (0x1F) to a command, address or data block. */
  STM32_NACK: "STM32_NACK",
  /** The DFU device reported an error status (details: status, statusName, state, request). */
  STM32_DFU_STATUS: "STM32_DFU_STATUS",
  /** The product ID is not in the family table; the driver will not guess a flash layout. */
  STM32_UNKNOWN_DEVICE: "STM32_UNKNOWN_DEVICE",
  /** The host has no USB access (no /sys/bus/usb, no permission, no libusb). */
  STM32_USB_UNAVAILABLE: "STM32_USB_UNAVAILABLE",
} as const;

/** Creates a coded error of this package. */
export function stm32Error(code: string, message: string, options?: FactoryErrorOptions): FactoryError {
  return createError(PKG, code, message, options);
}

/** Formats a number as `0x08000000`. */
export function hex(value: number, width = 8): string {
  return `0x${value.toString(16).padStart(width, "0")}`;
}
