/** A token bucket per key: `ratePerSecond` refill, `burst` capacity. Old keys are swept. */
export interface RateLimiter {
  /** True when the call may go ahead (and takes one token). */
  take(key: string): boolean;
  /** Seconds until one token is back for `key`. */
  retryAfter(key: string): number;
}

export function createRateLimiter(
  ratePerSecond: number,
  burst: number,
  now: () => number = Date.now,
): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  let lastSweep = now();
  const refill = (key: string) => {
    const t = now();
    if (t - lastSweep > 60_000) {
      for (const [k, b] of buckets) if (t - b.at > 60_000) buckets.delete(k);
      lastSweep = t;
    }
    const b = buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * ratePerSecond);
    b.at = t;
    buckets.set(key, b);
    return b;
  };
  return {
    take(key) {
      const b = refill(key);
      if (b.tokens < 1) return false;
      b.tokens -= 1;
      return true;
    },
    retryAfter(key) {
      const b = refill(key);
      return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / ratePerSecond);
    },
  };
}
