import { createError, ErrorCodes, type FactoryError } from "./errors";

/** Options every asynchronous call of the SDK accepts. */
export interface SignalOptions {
  /** Cancels the operation. A cancelled call rejects with code `ABORTED` and releases what it held. */
  signal?: AbortSignal | undefined;
}

/** Options for calls that also take a time bound. */
export interface TimeoutOptions extends SignalOptions {
  /** Milliseconds before the call rejects with code `TIMEOUT`. */
  timeoutMs?: number | undefined;
}

/** Throws an `ABORTED` FactoryError if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, pkg = "core"): void {
  if (signal?.aborted) throw abortedError(signal, pkg);
}

/** The error to reject with when `signal` fires: its reason when that is already coded. */
export function abortedError(signal: AbortSignal, pkg = "core"): FactoryError {
  const reason: unknown = signal.reason;
  if (
    typeof reason === "object" &&
    reason !== null &&
    (reason as { code?: unknown }).code === ErrorCodes.TIMEOUT
  ) {
    return reason as FactoryError;
  }
  return createError(pkg, ErrorCodes.ABORTED, "The operation was cancelled", { cause: reason });
}

/** Waits `ms`, rejecting early with `ABORTED` when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal!));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * A signal that fires when `parent` fires or after `timeoutMs`, whichever comes first. The timeout
 * fires with a `TIMEOUT` FactoryError as its reason, naming `what`. Call `dispose()` when done.
 */
export function deadline(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what: string,
  pkg = "core",
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted) controller.abort(parent.reason);
  else parent?.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
    timer = setTimeout(() => {
      controller.abort(
        createError(pkg, ErrorCodes.TIMEOUT, `${what} did not finish within ${formatMs(timeoutMs)}`, {
          details: { timeoutMs },
        }),
      );
    }, timeoutMs);
  }
  return {
    signal: controller.signal,
    dispose: () => {
      if (timer) clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Runs `fn` with a signal bounded by `timeoutMs`; rejects with `TIMEOUT` (or `ABORTED`) even if
 * `fn` ignores its signal, so a hung device can never hang the caller.
 */
export async function withDeadline<T>(
  what: string,
  options: TimeoutOptions,
  fn: (signal: AbortSignal) => Promise<T>,
  pkg = "core",
): Promise<T> {
  const { signal, dispose } = deadline(options.signal, options.timeoutMs, what, pkg);
  try {
    throwIfAborted(signal, pkg);
    return await new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(abortedError(signal, pkg));
      signal.addEventListener("abort", onAbort, { once: true });
      fn(signal).then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(signal.aborted ? abortedError(signal, pkg) : e);
        },
      );
    });
  } finally {
    dispose();
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}
