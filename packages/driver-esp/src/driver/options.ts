import type { ResetStrategy, ResetTiming } from "../loader/reset";
import type { BindingInterface } from "../transport/binding-types";

/**
 * Settings of the ESP driver. Every field may also come per port through `open(port, { settings })`
 * (config `board_configs.*.settings`), which wins over the driver-wide value.
 */
export interface EspDriverOptions {
  /**
   * The serial binding (`@serialport/bindings-interface`). Default: the native binding of the
   * `serialport` package. Pass an `EspSimBinding` to run against simulated chips.
   */
  binding?: BindingInterface;
  /** Baud for flashing. Default 921600. */
  baudRate?: number;
  /** Rates tried, in order, when a rate fails. Default `[460800, 115200]`. */
  fallbackBaudRates?: number[];
  /** How to enter download mode. `auto` (default): USB-JTAG for 303A:1001, else classic DTR/RTS. */
  reset?: "auto" | ResetStrategy;
  resetTiming?: Partial<ResetTiming>;
  /** Reset + sync rounds before giving up with SYNC_FAILED. Default 4. */
  connectAttempts?: number;
  /** Pause after a baud change before talking at the new rate. Default 10 ms. */
  baudSettleMs?: number;
  /** Skip regions whose MD5 already matches. Default true. */
  skipUnchanged?: boolean;
  /** Attempts per region (with reconnect and baud step-down between). Default 3. */
  writeAttempts?: number;
  /** After a reset into the app, longest wait for its boot log before the console is usable. Default 1000 ms. */
  appBootMs?: number;
}

export interface ResolvedOptions {
  binding: BindingInterface | undefined;
  baudRate: number;
  fallbackBaudRates: number[];
  reset: "auto" | ResetStrategy;
  resetTiming: ResetTiming;
  connectAttempts: number;
  baudSettleMs: number;
  skipUnchanged: boolean;
  writeAttempts: number;
  appBootMs: number;
}

const RESETS = ["auto", "classic", "usb-jtag", "none"];

/** Merges driver options and per-port settings, checking types (bad settings: INVALID_ARGUMENT). */
export function resolveOptions(
  base: EspDriverOptions,
  settings: Record<string, unknown> | undefined,
  fail: (message: string) => Error,
): ResolvedOptions {
  const s = { ...base, ...(settings ?? {}) } as Record<string, unknown>;
  const num = (key: string, dflt: number, min: number, max: number): number => {
    const v = s[key];
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
      throw fail(`setting ${key} must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  const baudRate = num("baudRate", 921600, 9600, 5_000_000);
  const fb = s.fallbackBaudRates ?? [460800, 115200];
  if (!Array.isArray(fb) || fb.some((b) => typeof b !== "number" || b < 9600)) {
    throw fail("setting fallbackBaudRates must be a list of baud rates");
  }
  const reset = s.reset ?? "auto";
  if (typeof reset !== "string" || !RESETS.includes(reset)) {
    throw fail(`setting reset must be one of ${RESETS.join(", ")}, got ${JSON.stringify(reset)}`);
  }
  const rt = (s.resetTiming ?? {}) as Partial<ResetTiming>;
  const skip = s.skipUnchanged ?? true;
  if (typeof skip !== "boolean") throw fail("setting skipUnchanged must be true or false");
  return {
    binding: base.binding,
    baudRate,
    fallbackBaudRates: (fb as number[]).filter((b) => b < baudRate),
    reset: reset as ResolvedOptions["reset"],
    resetTiming: { holdMs: rt.holdMs ?? 100, strapMs: rt.strapMs ?? 50, bootMs: rt.bootMs ?? 10 },
    connectAttempts: num("connectAttempts", 4, 1, 20),
    baudSettleMs: num("baudSettleMs", 10, 0, 1000),
    skipUnchanged: skip,
    writeAttempts: num("writeAttempts", 3, 1, 10),
    appBootMs: num("appBootMs", 1000, 0, 30_000),
  };
}
