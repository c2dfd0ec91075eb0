import { FAMILIES, type PicoFamily, RASPBERRY_PI_VENDOR_ID } from "../families";
import type { SimFlash } from "./flash";

/** What a simulated board is doing. */
export type SimPicoMode = "bootsel" | "app" | "unplugged";

export interface SimPicoOptions {
  family?: PicoFamily;
  /** USB topology location (`1-2`, `1-4.1`). */
  location: string;
  /** Flash size in bytes. Default 2 MiB. */
  flashSize?: number;
  /** The flash chip's 64-bit unique id, 16 hex digits. Default derived from the location. */
  flashId?: string;
  revision?: string;
  /** BOOTSEL USB serial. RP2040: the bootrom's, shared by every chip (default `E0C9125B0D9B`). */
  bootselSerial?: string;
  /** Start in the application (when the flash holds one) instead of BOOTSEL. */
  mode?: "bootsel" | "app";
  /** picotool sees the device but cannot open it (missing udev rule). */
  inaccessible?: boolean;
  /** The application answers the 1200-baud touch (pico-sdk stdio USB default). Default true. */
  resetViaBaudRate?: boolean;
}

/** The identity and state of one simulated RP2040 / RP2350 board. */
export class SimPico {
  readonly family: PicoFamily;
  readonly location: string;
  readonly bus: number;
  readonly flashId: string;
  readonly revision: string;
  readonly bootselSerial: string;
  readonly inaccessible: boolean;
  readonly resetViaBaudRate: boolean;
  mode: SimPicoMode = "unplugged";
  /** USB address of the current enumeration. */
  address = 0;
  /** Set while a picotool command runs against this board. */
  busy = false;

  constructor(
    options: SimPicoOptions,
    readonly flash: SimFlash,
  ) {
    this.family = options.family ?? "rp2040";
    this.location = options.location;
    this.bus = Number.parseInt(options.location.split("-")[0]!, 10);
    this.flashId = (options.flashId ?? defaultFlashId(options.location)).toUpperCase();
    this.revision = options.revision ?? (this.family === "rp2040" ? "B2" : "A2");
    this.bootselSerial =
      options.bootselSerial ?? (this.family === "rp2040" ? "E0C9125B0D9B" : this.flashId.slice(0, 16));
    this.inaccessible = options.inaccessible ?? false;
    this.resetViaBaudRate = options.resetViaBaudRate ?? true;
  }

  get chip(): string {
    return FAMILIES[this.family].chip;
  }

  /** USB identity in the current mode. */
  get usb(): { vendorId: number; productId: number; serial: string; manufacturer: string; product: string } {
    const bootsel = this.mode === "bootsel";
    return {
      vendorId: RASPBERRY_PI_VENDOR_ID,
      productId: bootsel
        ? FAMILIES[this.family].bootselProductId
        : this.family === "rp2040"
          ? 0x000a
          : 0x0009,
      // pico-sdk's stdio USB reports the flash unique id as its serial number.
      serial: bootsel ? this.bootselSerial : this.flashId,
      manufacturer: "Raspberry Pi",
      product: bootsel ? (this.family === "rp2040" ? "RP2 Boot" : "RP2350 Boot") : "Pico",
    };
  }

  /** Whether the flash holds something the bootrom would boot (not erased at its start). */
  get hasApplication(): boolean {
    return this.flash.read(0, 4).some((b) => b !== 0xff);
  }
}

function defaultFlashId(location: string): string {
  let h = 0xcbf29ce4;
  for (const c of location) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  const lo = Math.imul(h ^ 0x5bd1e995, 0x27d4eb2d) >>> 0;
  return `e661${h.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`.slice(0, 16);
}
