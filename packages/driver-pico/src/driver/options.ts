import type { Logger } from "@factory/core";
import type { BindingInterface } from "@factory/serial";
import type { PicotoolExec } from "../picotool/runner";
import { DEFAULT_BLOCK_CLASS, DEFAULT_MOUNTS_FILE } from "../usb/bootsel-drive";
import { DEFAULT_USB_SYSFS } from "../usb/sysfs";

/**
 * Settings of the Pico driver. The per-port ones (marked) may also come through
 * `open(port, { settings })` (config `board_configs.*.settings`), which wins.
 */
export interface PicoDriverOptions {
  /** picotool executable: a name on PATH or a path. Default `picotool`. */
  picotool?: string;
  /** Runs picotool command lines (default: execa on `picotool`). For wrappers and tests. */
  exec?: PicotoolExec;
  /**
   * `picotool` (default): identify, flash, verify and reboot through picotool.
   * `drive`: copy a UF2 to the BOOTSEL drive (no picotool needed; no read-back verify; identity
   * from the USB serial, so RP2040 boards must be opened while running a pico-sdk application). Per port.
   */
  transport?: "picotool" | "drive";
  /** Skip regions the board already holds (a `picotool verify` first). Default true. Per port. */
  skipUnchanged?: boolean;
  /** Let picotool read back each region right after writing it (`load -v`). Default false. Per port. */
  verifyOnLoad?: boolean;
  /** Longest wait for a board to (re-)enumerate after a reboot or touch. Default 10 s. Per port. */
  enumerationTimeoutMs?: number;
  /** Longest wait for the BOOTSEL drive to vanish after a UF2 copy. Default 15 s. Per port. */
  driveTimeoutMs?: number;
  /** Mount point of this port's BOOTSEL drive, when the plant mounts drives at fixed paths. Per port. */
  drivePath?: string;
  /** Where USB devices are listed. Default `/sys/bus/usb/devices`. */
  usbSysfs?: string;
  /** Mount table. Default `/proc/self/mounts`. */
  mountsFile?: string;
  /** Block device links. Default `/sys/class/block`. */
  blockClass?: string;
  /** Where tty device nodes live. Default `/dev`. */
  devDir?: string;
  /** Serial binding for the 1200-baud touch and the console (native by default; the lab's in tests). */
  binding?: BindingInterface;
  logger?: Logger;
}

export interface ResolvedPicoOptions {
  transport: "picotool" | "drive";
  skipUnchanged: boolean;
  verifyOnLoad: boolean;
  enumerationTimeoutMs: number;
  driveTimeoutMs: number;
  drivePath: string | undefined;
  usbSysfs: string;
  mountsFile: string;
  blockClass: string;
  devDir: string;
  binding: BindingInterface | undefined;
}

/** Merges driver options with per-port settings, checking each (bad settings: `fail(message)`). */
export function resolveOptions(
  base: PicoDriverOptions,
  settings: Record<string, unknown> | undefined,
  fail: (message: string) => Error,
): ResolvedPicoOptions {
  const s = { ...base, ...(settings ?? {}) } as Record<string, unknown>;
  const bool = (key: string, dflt: boolean): boolean => {
    const v = s[key] ?? dflt;
    if (typeof v !== "boolean") throw fail(`setting ${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const ms = (key: string, dflt: number): number => {
    const v = s[key] ?? dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 600_000) {
      throw fail(`setting ${key} must be a number of milliseconds (0–600000), got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const str = (key: string, dflt: string | undefined): string | undefined => {
    const v = s[key] ?? dflt;
    if (v !== undefined && (typeof v !== "string" || v.length === 0)) {
      throw fail(`setting ${key} must be a non-empty string, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const transport = s.transport ?? "picotool";
  if (transport !== "picotool" && transport !== "drive") {
    throw fail(`setting transport must be "picotool" or "drive", got ${JSON.stringify(transport)}`);
  }
  return {
    transport,
    skipUnchanged: bool("skipUnchanged", true),
    verifyOnLoad: bool("verifyOnLoad", false),
    enumerationTimeoutMs: ms("enumerationTimeoutMs", 10_000),
    driveTimeoutMs: ms("driveTimeoutMs", 15_000),
    drivePath: str("drivePath", undefined),
    usbSysfs: str("usbSysfs", DEFAULT_USB_SYSFS)!,
    mountsFile: str("mountsFile", DEFAULT_MOUNTS_FILE)!,
    blockClass: str("blockClass", DEFAULT_BLOCK_CLASS)!,
    devDir: str("devDir", "/dev")!,
    binding: base.binding,
  };
}
