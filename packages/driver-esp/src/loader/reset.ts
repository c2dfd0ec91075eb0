import { createError, ErrorCodes, sleep } from "@factory/core";
import { PKG } from "../errors";
import type { SerialLink } from "../transport/serial-link";

/**
 * How the host puts the chip into download mode. `classic`: DTR→IO0, RTS→EN through the
 * two-transistor circuit of dev boards and most USB-UART fixtures; also the ESP32-S2/S3 USB-OTG
 * download port (303A:0002 / 303A:0009), whose CDC emulates the same lines. `usb-jtag`: the
 * USB-Serial-JTAG peripheral of the ESP32-S3, -C3 and -C6 (303A:1001); the ESP32, ESP8266 and
 * ESP32-S2 have none. `none`: the fixture straps IO0 and powers the board;
 * the host never touches the lines (and a pseudo-terminal has none).
 */
export type ResetStrategy = "classic" | "usb-jtag" | "none";

export interface ResetTiming {
  /** How long EN is held low. */
  holdMs: number;
  /** How long IO0 stays low after EN is released. */
  strapMs: number;
  /** After EN is released, how long the ROM needs before it listens (SYNC may start then). */
  bootMs: number;
}

/**
 * Sets DTR and RTS. The link resolves `false` on a port without modem lines (a pseudo-terminal):
 * a reset that cannot happen is `NOT_SUPPORTED` here, not a silent no-op.
 */
async function setLines(link: SerialLink, dtr: boolean, rts: boolean): Promise<void> {
  if (await link.setSignals({ dtr, rts })) return;
  throw createError(
    PKG,
    ErrorCodes.NOT_SUPPORTED,
    `Cannot set DTR/RTS on ${link.path} (a pseudo-terminal has no modem lines); use reset "none"`,
    { details: { port: link.path }, retryable: false },
  );
}

const pendingStrap = new WeakMap<SerialLink, Promise<void>>();

/** Waits for a background IO0 release of an earlier reset on `link`, if one is pending. */
export async function settleLines(link: SerialLink): Promise<void> {
  const pending = pendingStrap.get(link);
  if (pending) {
    await pending;
    pendingStrap.delete(link);
  }
}

export const DEFAULT_RESET_TIMING: ResetTiming = { holdMs: 100, strapMs: 50, bootMs: 10 };

/**
 * Resets into the ROM download mode, then runs `talk` (the SYNC attempts). With the classic
 * circuit, `talk` starts `bootMs` after EN is released, while IO0 is still held low for the rest
 * of `strapMs`: the strap is sampled at boot, so the host need not wait for IO0 to be released
 * before it syncs. That saves most of the strap time on every connect.
 */
export async function resetToBootloader<T>(
  link: SerialLink,
  strategy: ResetStrategy,
  timing: ResetTiming,
  signal: AbortSignal | undefined,
  talk: () => Promise<T>,
): Promise<T> {
  if (strategy === "none") return talk();
  await settleLines(link);
  if (strategy === "classic") {
    await setLines(link, false, true); // EN low
    await sleep(timing.holdMs, signal);
    await setLines(link, true, false); // EN released, IO0 low
    // IO0 is released in the background after strapMs; the next line change waits for it.
    const strap = sleep(timing.strapMs)
      .then(() => (link.closed || link.lost ? undefined : setLines(link, false, false)))
      .catch(() => {});
    pendingStrap.set(link, strap);
    await sleep(Math.min(timing.bootMs, timing.strapMs), signal);
    return talk();
  }
  await setLines(link, false, false);
  await sleep(timing.holdMs, signal);
  await setLines(link, true, false);
  await sleep(timing.holdMs, signal);
  await setLines(link, true, true);
  await setLines(link, false, true);
  await sleep(timing.holdMs, signal);
  await setLines(link, false, false);
  await sleep(timing.bootMs, signal);
  return talk();
}

/** Resets into the application (EN pulse with IO0 high). */
export async function hardReset(
  link: SerialLink,
  strategy: ResetStrategy,
  timing: ResetTiming,
  signal?: AbortSignal,
): Promise<void> {
  if (strategy === "none") return;
  await settleLines(link);
  await setLines(link, false, true);
  await sleep(timing.holdMs, signal);
  await setLines(link, false, false);
}
