import { sleep } from "../abort";
import { ErrorCodes, type FactoryError } from "../errors";

/**
 * When a failed device attempt is tried again. The default retries the codes a marginal cable,
 * a missed reset or a flaky USB hub produce, and never retries bad input or a failed gate.
 */
export interface RetryPolicy {
  /** Attempts in all, including the first (the seed's `max_retry_attempts`). */
  maxAttempts: number;
  /** Delay before the second attempt, ms; doubles each time up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Random spread added to each delay, as a fraction of it (0–1), so ports do not retry in lockstep. */
  jitter: number;
  /**
   * Codes worth another attempt. When omitted, the error's own `retryable` flag decides
   * (see the catalogue in errors.ts).
   */
  retryOn?: readonly string[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  initialDelayMs: 500,
  maxDelayMs: 5_000,
  jitter: 0.2,
};

/** Codes that are never retried, whatever the policy says: retrying cannot change the outcome. */
const NEVER_RETRY: ReadonlySet<string> = new Set([
  ErrorCodes.ABORTED,
  ErrorCodes.GATE_FAILED,
  ErrorCodes.IMAGE_INVALID,
  ErrorCodes.IMAGE_TOO_LARGE,
  ErrorCodes.PLAN_INVALID,
  ErrorCodes.CONFIG_INVALID,
  ErrorCodes.DUPLICATE_IDENTITY,
  ErrorCodes.DEVICE_MISMATCH,
  ErrorCodes.DRIVER_NOT_INSTALLED,
  ErrorCodes.READ_PROTECTED,
]);

/** Whether `error` on attempt `attempt` (1-based) should be retried under `policy`. */
export function shouldRetry(policy: RetryPolicy, error: FactoryError, attempt: number): boolean {
  if (attempt >= policy.maxAttempts) return false;
  if (NEVER_RETRY.has(error.code)) return false;
  return policy.retryOn ? policy.retryOn.includes(error.code) : error.retryable;
}

/** The delay before attempt `attempt + 1`, with jitter drawn from `random` (0–1). */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 + policy.jitter * random()));
}

/** Waits the policy's delay for `attempt`; rejects `ABORTED` when the signal fires. */
export function waitBeforeRetry(policy: RetryPolicy, attempt: number, signal?: AbortSignal): Promise<void> {
  return sleep(retryDelay(policy, attempt), signal);
}
