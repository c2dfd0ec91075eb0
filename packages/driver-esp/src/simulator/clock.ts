/**
 * The simulator's notion of time. `real`: bytes and flash operations take wall-clock time (for
 * the bench and timing tests). `instant`: everything happens on the next turn of the event loop,
 * in order, so functional tests run fast.
 */
export interface SimClock {
  readonly mode: "real" | "instant";
  /** Milliseconds on a monotonic clock (always 0 in instant mode). */
  now(): number;
  /**
   * Runs `fn` at `timeMs` (clock time), or as soon as possible if that is past. `fn` receives the
   * scheduled time, so a callback that fires late can still act "on time" on the simulated wire.
   */
  at(timeMs: number, fn: (scheduled: number) => void): void;
}

export const realClock: SimClock = {
  mode: "real",
  now: () => performance.now(),
  at: (timeMs, fn) => {
    const delay = timeMs - performance.now();
    // Node timers have a 1 ms resolution: anything closer runs on the next loop turn.
    if (delay < 1) setImmediate(() => fn(timeMs));
    else setTimeout(() => fn(timeMs), delay);
  },
};

export const instantClock: SimClock = {
  mode: "instant",
  now: () => 0,
  at: (timeMs, fn) => {
    setImmediate(() => fn(timeMs));
  },
};

/** Seconds a UART needs for `bytes` at `baud`: 10 bits per byte (start, 8 data, stop). */
export function wireMs(bytes: number, baud: number): number {
  return (bytes * 10 * 1000) / baud;
}

/** A small deterministic PRNG (mulberry32) for fault injection and test images. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
