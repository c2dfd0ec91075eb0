import type { Logger } from "@factory/core";
import type { SerialLinkOptions } from "@factory/serial";
import type { DfuseTimeouts } from "../dfu/dfuse";
import type { UsbHostLike } from "../dfu/usb-types";
import type { IdentityRegistry } from "../identity/registry";
import type { An3155Timeouts } from "../uart/an3155-client";
import type { ResetWiring } from "../uart/uart-access";

/** Settings of the STM32 driver; the same keys may come per port in `OpenOptions.settings`. */
export interface Stm32DriverOptions {
  /** `dfu` (USB, ST's 0483:df11 bootloader) or `uart` (AN3155). Default: `uart` for serial paths, `dfu` for `usb:…`. */
  transport?: "dfu" | "uart";
  // --- UART ---
  /** Default 115200. */
  baudRate?: number;
  /** `even` (8E1, the bootloader's framing; default) or `none` (8N1, for pseudo-terminals). */
  parity?: "even" | "none";
  /** Fixture wiring of NRST and BOOT0 to RTS/DTR; enables reset into bootloader and app. */
  wiring?: ResetWiring;
  /**
   * Send each Write Memory's command and address in one burst (two round trips per 256 bytes
   * instead of three; the data block still waits for the address ACK). Default true; `false`
   * waits for every ACK, as stm32flash does.
   */
  pipelineWrites?: boolean;
  /** The application's UART rate, used for its console after `reset("app")` (default 115200). */
  appBaudRate?: number;
  /** The application's UART parity (default `none`: 8N1). The bootloader's is `parity`. */
  appParity?: "none" | "even" | "odd";
  /** Serial binding (the simulator's `SimBinding`); default the native one. */
  binding?: SerialLinkOptions["binding"];
  uartTimeouts?: Partial<An3155Timeouts>;
  // --- DFU ---
  /** USB host; default the `usb` package's WebUSB (loaded on first DFU use). */
  usb?: UsbHostLike;
  /** Product ID of the part, when the plant knows it (DFU has no Get ID). */
  productId?: number;
  /** DFU alternate setting for internal flash (default: the one at 0x08000000). */
  alt?: number;
  /** Override of the device's wTransferSize. */
  transferSize?: number;
  dfuTimeouts?: Partial<DfuseTimeouts>;
  // --- shared ---
  /** Duplicate unique-ID detection across ports; share one between drivers of a host. */
  registry?: IdentityRegistry;
  logger?: Logger;
}

const KEYS = [
  "transport",
  "baudRate",
  "parity",
  "wiring",
  "pipelineWrites",
  "appBaudRate",
  "appParity",
  "productId",
  "alt",
  "transferSize",
] as const satisfies readonly (keyof Stm32DriverOptions)[];

/** Picks the per-port settings this driver understands, ignoring other keys of a board config. */
export function pickSettings(settings: Record<string, unknown> | undefined): Partial<Stm32DriverOptions> {
  const out: Record<string, unknown> = {};
  for (const key of KEYS) if (settings?.[key] !== undefined) out[key] = settings[key];
  return out as Partial<Stm32DriverOptions>;
}
