import { HttpError } from "./errors";
import { createRateLimiter } from "./rate-limit";

/** The limits every request passes before anything else: requests per client, failed logins per client. */
export interface Admission {
  /**
   * Takes one request of `ip` from its budget. Returns a 429 {@link HttpError} and the seconds
   * to wait (for `Retry-After`) when the client sends too much, or when it presents a token
   * while its failed logins are over the limit.
   */
  check(ip: string, hasAuthorization: boolean): { error: HttpError; retryAfter: number } | undefined;
  /** Counts a failed authentication of `ip`. */
  authFailed(ip: string): void;
}

export interface AdmissionOptions {
  /** Requests per second per client address (burst twice that); 0 disables. */
  rateLimitPerSecond: number;
  /** Failed authentications per minute per client address before 429. */
  authFailuresPerMinute: number;
}

/** Builds the per-client request and login-failure limits the HTTP app and its fast paths share. */
export function createAdmission(o: AdmissionOptions): Admission {
  const limiter =
    o.rateLimitPerSecond > 0 ? createRateLimiter(o.rateLimitPerSecond, o.rateLimitPerSecond * 2) : undefined;
  const failures = createRateLimiter(o.authFailuresPerMinute / 60, o.authFailuresPerMinute);
  return {
    check(ip, hasAuthorization) {
      if (limiter && !limiter.take(ip)) {
        return {
          error: new HttpError(429, "RATE_LIMITED", "Too many requests; slow down"),
          retryAfter: limiter.retryAfter(ip),
        };
      }
      if (hasAuthorization) {
        const wait = failures.retryAfter(ip);
        if (wait > 0) {
          return {
            error: new HttpError(
              429,
              "RATE_LIMITED",
              "Too many failed logins from this address; wait and retry",
            ),
            retryAfter: wait,
          };
        }
      }
      return undefined;
    },
    authFailed(ip) {
      failures.take(ip);
    },
  };
}
