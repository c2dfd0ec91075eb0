/** Retry timing of the unit agent: exponential backoff with equal jitter. */
export interface BackoffOptions {
  /** First delay, ms (default 1 000). */
  baseMs?: number;
  /** Largest delay, ms (default 60 000). */
  maxMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): the exponential step `base * 2^attempt`,
 * capped at `max`, of which half is fixed and half drawn uniformly (`random` in [0, 1)), so
 * twenty units that lost the server together do not come back in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  o: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = o.baseMs ?? 1_000;
  const max = o.maxMs ?? 60_000;
  const step = Math.min(max, base * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}
