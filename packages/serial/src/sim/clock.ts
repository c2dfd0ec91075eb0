/**
 * Runs `fn` when `performance.now()` reaches `timeMs`, more precisely than `setTimeout` alone
 * (which rounds to whole milliseconds and often fires 1 ms late): a timer covers most of the wait
 * and `setImmediate` turns cover the last few milliseconds. Used by time-accurate simulators, where
 * late timers on every byte would add up to a false picture of a protocol's speed.
 */
export function runAt(timeMs: number, fn: () => void): void {
  const left = timeMs - performance.now();
  if (left > 4) {
    setTimeout(() => runAt(timeMs, fn), left - 3);
    return;
  }
  const spin = (): void => {
    if (performance.now() >= timeMs) fn();
    else setImmediate(spin);
  };
  setImmediate(spin);
}
