import { type SignalOptions, sleep } from "@factory/core";
import type { SerialLink } from "@factory/serial";

/**
 * avrdude's `arduino_open` reset (PROTOCOLS.md §3.3): release DTR and RTS, wait, assert both (the
 * falling edge through the auto-reset capacitor pulls RESET low), release after ~100 µs, wait for
 * the bootloader to start, drop whatever the sketch printed. Resolves false when the port has no
 * modem lines (a pseudo-terminal), in which case nothing was reset.
 */
export async function pulseReset(
  link: SerialLink,
  timings: { releaseMs: number; settleMs: number },
  options: SignalOptions = {},
): Promise<boolean> {
  if (!(await link.setSignals({ dtr: false, rts: false }, options))) return false;
  await sleep(timings.releaseMs, options.signal);
  await link.setSignals({ dtr: true, rts: true }, options);
  await sleep(1, options.signal); // 100 µs in avrdude; timers do not go below 1 ms
  await link.setSignals({ dtr: false, rts: false }, options);
  await sleep(timings.settleMs, options.signal);
  await link.flushInput(options);
  return true;
}
