import type { EspFamily } from "../protocol/chips";
import type { FlashTiming } from "./flash";

/** Faults the simulator injects; change them at any time through `simulator.faults`. */
export interface EspSimFaults {
  /** The chip never answers (not in download mode, dead UART). */
  noSync?: boolean;
  /** Probability that a byte (either direction) is lost on the wire. */
  dropRate?: number;
  /** Probability that a byte (either direction) arrives with a flipped bit. */
  corruptRate?: number;
  /** The device vanishes (USB unplug) once this many bytes went host → device. */
  disconnectAtByte?: number;
  /** The chip resets (brown-out) once this many bytes were programmed into flash. */
  resetAtFlashByte?: number;
  /** SPI_FLASH_MD5 answers a digest that does not match the flash. */
  wrongMd5?: boolean;
  /** Highest baud the cable / bridge carries; above it every byte is garbled. */
  maxBaud?: number;
  /** The chip answers every command with random bytes instead of SLIP frames. */
  garbage?: boolean;
  /** A programmed byte silently keeps one bit set (a worn flash cell), at this flash offset. */
  stuckBitAt?: number;
}

/** What the application answers on its console after reset into the app. */
export type ConsoleScript = Record<string, string> | ((line: string) => string | undefined);

export interface EspSimulatorOptions {
  /** Chip model. Default `esp32`. */
  chip?: EspFamily;
  /** Factory MAC, `aa:bb:cc:dd:ee:ff`. Default derived from `seed`. */
  mac?: string;
  /** Flash size in bytes (power of two, 256 KiB … 16 MiB). Default 4 MiB. */
  flashSize?: number;
  /** `instant` (default) for fast tests; `real` for bytes at 10 bits per baud and timed flash. */
  timing?: "instant" | "real";
  /** Flash operation durations (only used with real timing). Default realistic; `"off"` for none. */
  flashTiming?: Partial<FlashTiming> | "off" | "realistic";
  /**
   * How DTR/RTS reach EN and IO0: `classic` (two-transistor auto-reset of dev boards),
   * `usb-jtag` (the USB-Serial-JTAG of the ESP32-S3/C3/C6; refused for chips without one),
   * `none` (fixture straps IO0; lines ignored). Default `classic`. A USB-OTG port (ESP32-S2/S3,
   * `usb` 303A:0002 / 303A:0009) takes the classic sequence.
   */
  resetCircuit?: "classic" | "usb-jtag" | "none";
  /** State at power-on. Default `app` (`bootloader` when `resetCircuit` is `none`). */
  startIn?: "bootloader" | "app";
  /** Console replies of the application. Default: `info` → `OK <chip> <mac>`. */
  console?: ConsoleScript;
  faults?: EspSimFaults;
  /** Seeds MAC and fault randomness. */
  seed?: number;
  /**
   * Detect register value, when it is not the chip's usual one (a later revision whose value is
   * not in the table; the driver then asks GET_SECURITY_INFO).
   */
  magic?: number;
  /**
   * USB identity reported by the simulated port (for `list()` and reset selection). Vendor 303A
   * with the chip's USB-OTG product id (ESP32-S2 0x0002, ESP32-S3 0x0009) puts the ROM on its
   * USB-OTG port: its port variable says so and the stub is uploaded in 0x800-byte blocks.
   */
  usb?: { vendorId: number; productId: number; serialNumber?: string };
}
