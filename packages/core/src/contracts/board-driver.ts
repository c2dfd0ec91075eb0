import type { SignalOptions, TimeoutOptions } from "../abort";
import type { Logger } from "../logger";
import type { PortInfo, PortRef } from "./port";

/**
 * What a driver can do. The pipeline reads these flags instead of guessing, and a call to a
 * capability the driver lacks rejects with code `NOT_SUPPORTED`; it is never a silent no-op.
 */
export interface BoardCapabilities {
  /** Regions are sent compressed (ESP deflate). */
  compressedWrite: boolean;
  /** Regions whose content already matches are skipped (ESP MD5 before write). */
  skipUnchanged: boolean;
  /** How {@link BoardSession.verify} checks content. `none`: verify rejects with NOT_SUPPORTED. */
  verify: "md5" | "crc32" | "readback" | "none";
  /** A line console on the application's UART is available after reset into the app. */
  console: boolean;
  /** What {@link DeviceIdentity.uniqueId} is derived from (`serial-number`: one the line wrote, e.g. AVR EEPROM/flash). */
  uniqueId: "mac" | "uid96" | "flash-uid" | "signature" | "serial-number" | "none";
  /** Per-device data regions may be written (NVS partition, OTP, EEPROM). */
  perDeviceData: boolean;
  /** Reset modes the driver can perform. */
  resetModes: readonly ResetMode[];
  /** Image formats {@link FlashRegion.data} may be given in; the driver converts as needed. */
  imageFormats: readonly ("bin" | "hex" | "uf2" | "elf")[];
  /** The driver can enumerate candidate ports ({@link BoardDriver.list}). */
  enumerate: boolean;
  /** Largest number of sessions of this driver that may run at once on one host (USB/DFU limits). */
  maxConcurrentSessions?: number;
}

/** `bootloader`: enter the programming mode. `app`: run the application. `hard`: power-on-like reset. */
export type ResetMode = "bootloader" | "app" | "hard";

/** What a device is. Filled by {@link BoardSession.identify}. */
export interface DeviceIdentity {
  /** Driver family: `esp32`, `esp8266`, `stm32`, `rp2040`, `avr`. */
  family: string;
  /** Exact chip or part: `ESP32-D0WD-V3`, `STM32F40x/41x`, `RP2040`, `ATmega328P`. */
  chip: string;
  revision?: string;
  /** Factory MAC, lower-case `aa:bb:cc:dd:ee:ff`, where the chip has one. */
  mac?: string;
  /**
   * An identifier unique to this physical device: the MAC for ESP, the 96-bit UID for STM32, the
   * flash unique ID for RP2040, the serial number written to EEPROM for AVR. Hex, lower-case.
   * Two ports reporting the same value is an error (`DUPLICATE_IDENTITY`).
   */
  uniqueId: string;
  /** Flash size in bytes, where it can be read. */
  flashSize?: number;
  /** Anything else worth recording (crystal, features, bootloader version, signature). */
  extra?: Record<string, string | number | boolean>;
}

/** One piece of a flash plan, written at `offset`. */
export interface FlashRegion {
  /** `bootloader`, `partition-table`, `app`, `nvs`… Used in events, records and errors. */
  name: string;
  /** Absolute address for the driver (ESP flash offset, STM32 0x08000000-based, AVR byte address). */
  offset: number;
  /** The bytes to write (already converted from HEX/UF2 by the driver or the plan builder). */
  data: Uint8Array;
  /** `shared` regions are the same for every device of a batch; `device` regions differ per unit. */
  scope?: "shared" | "device";
  /**
   * Driver-private cache shared by every device of a batch, e.g. the deflated form of `data`, so
   * an image is compressed once per batch, not once per device. Drivers key their entries by name.
   */
  cache?: Map<string, unknown>;
}

/** What to write. Regions never overlap and lie inside the flash (the driver checks, `PLAN_INVALID`). */
export interface FlashPlan {
  regions: FlashRegion[];
  /** Erase the whole chip before writing. */
  eraseAll?: boolean;
}

/** Byte-level progress of a flash or verify. */
export interface FlashProgress {
  region: string;
  phase: "erase" | "write" | "verify" | "skip";
  /** Bytes of the region's image done, out of `bytesTotal` (uncompressed). */
  bytesDone: number;
  bytesTotal: number;
  /** Bytes actually sent on the wire so far for this region (compressed), when known. */
  wireBytes?: number;
}

export interface FlashOptions extends SignalOptions {
  onProgress?: (progress: FlashProgress) => void;
}

export interface RegionResult {
  name: string;
  offset: number;
  size: number;
  /** True when the region already matched and was not written. */
  skipped: boolean;
  durationMs: number;
}

export interface FlashResult {
  regions: RegionResult[];
  /** Uncompressed bytes written (skipped regions excluded). */
  bytesWritten: number;
  durationMs: number;
}

export interface VerifyResult {
  /** True only if every region matched. */
  ok: boolean;
  regions: { name: string; ok: boolean; expected: string; actual: string }[];
}

/**
 * A line-oriented console on the application's UART, used by the pipeline's console tests.
 */
export interface LineConsole {
  /** Sends `line` followed by the configured line ending. */
  writeLine(line: string, options?: SignalOptions): Promise<void>;
  /**
   * Resolves with the first received line that matches `pattern` (a substring or RegExp); lines
   * before it are skipped. Rejects with `CONSOLE_TIMEOUT` after `timeoutMs`, `ABORTED` on signal.
   */
  expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string>;
  /** Lines received so far and not yet consumed by `expect`, most recent last (bounded). */
  readonly backlog: readonly string[];
  close(): Promise<void>;
}

export interface OpenOptions extends SignalOptions {
  logger?: Logger;
  /** Driver-specific settings from the board config (baud, reset strategy, DFU alt…). */
  settings?: Record<string, unknown>;
}

/**
 * An open connection to the device on one port. Exactly one session per port at a time; the
 * pipeline always calls {@link close}, also after errors and cancellation.
 *
 * Every method rejects with a FactoryError: `PORT_DISCONNECTED` when the device vanished,
 * `TIMEOUT` when it stopped answering, `ABORTED` on signal, a protocol code otherwise.
 */
export interface BoardSession {
  readonly port: PortRef;
  /** Reads identity (chip, revision, MAC or UID, flash size) without changing the device. */
  identify(options?: SignalOptions): Promise<DeviceIdentity>;
  /**
   * Writes the plan. Regions are written in order; with `skipUnchanged` regions whose content
   * matches are reported as skipped. Resolves when every region is written (not yet verified).
   */
  flash(plan: FlashPlan, options?: FlashOptions): Promise<FlashResult>;
  /** Compares the device's content with the plan. Resolves `{ ok: false }` on mismatch. */
  verify(plan: FlashPlan, options?: FlashOptions): Promise<VerifyResult>;
  /** Resets the device into `mode`. Rejects `NOT_SUPPORTED` for modes not in the capabilities. */
  reset(mode: ResetMode, options?: SignalOptions): Promise<void>;
  /** Opens the application console (after `reset("app")`). Rejects `NOT_SUPPORTED` if absent. */
  openConsole(options?: SignalOptions & { baudRate?: number; lineEnding?: string }): Promise<LineConsole>;
  /** Releases the port. Idempotent; never rejects. */
  close(): Promise<void>;
}

export interface ProbeResult {
  /** A device of this driver's family answers on the port. */
  present: boolean;
  /** Family detected, when known without a full identify. */
  family?: string;
}

/**
 * A driver for one hardware family. Created by a factory made with `defineBoardDriver`, found by
 * package name from config.
 */
export interface BoardDriver {
  /** Short name used in messages and records: `esp`, `stm32`, `pico`, `avr`. */
  readonly name: string;
  /** Families this driver flashes (`esp32`, `esp8266`, …); config `platform` values map here. */
  readonly families: readonly string[];
  readonly capabilities: BoardCapabilities;
  /** Candidate ports on this host. Rejects `NOT_SUPPORTED` when `capabilities.enumerate` is false. */
  list(options?: SignalOptions): Promise<PortInfo[]>;
  /** Whether a device of this family is on `port`, without writing anything. Never throws for "absent". */
  probe(port: PortRef, options?: SignalOptions): Promise<ProbeResult>;
  /** Opens a session. Rejects `PORT_BUSY`, `PORT_NOT_FOUND`, `SYNC_FAILED`, … */
  open(port: PortRef, options?: OpenOptions): Promise<BoardSession>;
  /** Releases shared resources (batch caches, USB contexts). Optional. */
  dispose?(): Promise<void>;
}
