import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { abortedError, type SignalOptions, sleep, throwIfAborted, withDeadline } from "../abort";
import { createError, ErrorCodes } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { normalizeMac } from "../mac";
import { type BackoffOptions, backoffDelayMs } from "./backoff";
import { PKG, UnitAgentErrorCodes } from "./errors";
import { ReportStore, type StoredReport } from "./pending-report";

export interface UnitReporterOptions {
  /** Base URL of the production server, e.g. `http://192.168.100.250:8080`. */
  server: string;
  /** Bearer token of the `unit` role. Never logged. */
  token: string;
  /** The unit's WAN MAC (any usual spelling). */
  mac: string;
  /** Directory for the pending report and the credentials (created 0700). */
  stateDir: string;
  /** Bound of each HTTP request, ms (default 30 000). */
  requestTimeoutMs?: number;
  /** Largest report body sent (default 8 000 000; the server takes 8 MiB); diagnostics are cut to fit. */
  maxBodyBytes?: number;
  /** Backoff between report attempts, and how long to keep trying (default 24 h). */
  retry?: BackoffOptions & { deadlineMs?: number };
  fetch?: typeof fetch;
  logger?: Logger;
  /** Jitter source in [0, 1) (default Math.random; timing only, never secrets). */
  random?: () => number;
  now?: () => Date;
}

export interface SuccessReport {
  serial: string;
  adminPassword: string;
  servicesPassword: string;
  testResults?: Record<string, "pass" | "fail">;
  buildTime?: Date;
  buildDurationSeconds?: number;
}

export interface FailureReport {
  serial?: string;
  failedTests: string[];
  testResults?: Record<string, "pass" | "fail">;
  errorLog?: string;
  diagnosticData?: string;
  buildTime?: Date;
  buildDurationSeconds?: number;
}

/** What the server said about a delivered report. */
export interface ReportReceipt {
  status: "ready" | "failed";
  idempotencyKey: string;
  /** False when the server already had this report (a retry after a lost answer). */
  created: boolean;
  httpStatus: number;
}

/**
 * Sends the unit's one final report (seed 002 `POST /api/units`). The report is stored on disk
 * with its Idempotency-Key before the first attempt and retried with backoff until the server
 * takes it, so it is never lost (a crash or reboot leaves it for `deliverPending`) and never
 * counted twice (the server answers a repeat with `created: false`).
 */
export interface UnitReporter {
  readonly mac: string;
  readonly store: ReportStore;
  /** Stores and delivers a `ready` report. Rejects `REPORT_EXISTS`, `REPORT_REFUSED`, `REPORT_NOT_DELIVERED`, `ABORTED`. */
  reportSuccess(report: SuccessReport, options?: SignalOptions): Promise<ReportReceipt>;
  /** Stores and delivers a `failed` report. Same rejections as `reportSuccess`. */
  reportFailure(report: FailureReport, options?: SignalOptions): Promise<ReportReceipt>;
  /** Delivers a report left pending (by this agent or factory-agent.sh); undefined when none waits. */
  deliverPending(options?: SignalOptions): Promise<ReportReceipt | undefined>;
  /** POSTs a JSON body with the unit token; resolves status and text (bounded by requestTimeoutMs). */
  post(
    route: string,
    body: string,
    headers?: Record<string, string>,
    options?: SignalOptions,
  ): Promise<{ status: number; text: string }>;
}

const SERIAL = /^[A-Za-z0-9._~+=:/!#*@%^,-]{1,128}$/;

export function createUnitReporter(o: UnitReporterOptions): UnitReporter {
  const mac = normalizeMac(o.mac);
  let base: URL;
  try {
    base = new URL(o.server);
  } catch (cause) {
    throw createError(
      PKG,
      ErrorCodes.INVALID_ARGUMENT,
      `server must be a URL, got ${JSON.stringify(o.server)}`,
      { cause },
    );
  }
  if (!/^https?:$/.test(base.protocol))
    throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "server must be an http(s) URL");
  if (typeof o.token !== "string" || !/^[\x21-\x7e]{8,512}$/.test(o.token))
    throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "token must be 8-512 visible ASCII characters");
  const log = o.logger ?? noopLogger;
  const doFetch = o.fetch ?? fetch;
  const timeoutMs = o.requestTimeoutMs ?? 30_000;
  const maxBody = o.maxBodyBytes ?? 8_000_000;
  const deadlineMs = o.retry?.deadlineMs ?? 24 * 3600_000;
  const now = o.now ?? (() => new Date());
  mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
  const store = new ReportStore(o.stateDir);

  const post: UnitReporter["post"] = (route, body, headers = {}, opts = {}) =>
    withDeadline(
      `POST ${route}`,
      { signal: opts.signal, timeoutMs },
      async (signal) => {
        const res = await doFetch(new URL(route, base), {
          method: "POST",
          signal,
          headers: {
            "content-type": "application/json",
            authorization: `Bearer ${o.token}`,
            "user-agent": "factory-unit-agent",
            ...headers,
          },
          body,
        });
        return { status: res.status, text: await res.text() };
      },
      PKG,
    );

  const deliver = async (report: StoredReport, signal?: AbortSignal): Promise<ReportReceipt> => {
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(signal, PKG);
      let status = 0;
      let text = "";
      let problem = "";
      try {
        ({ status, text } = await post(
          "/api/units",
          report.body,
          { "idempotency-key": report.key },
          { signal },
        ));
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal, PKG);
        problem = error instanceof Error ? error.message : String(error);
      }
      if (status === 200 || status === 201) {
        store.markDelivered(status);
        rmSync(path.join(o.stateDir, "credentials"), { force: true });
        log.info("report delivered", { status: report.status, httpStatus: status, created: status === 201 });
        return {
          status: report.status,
          idempotencyKey: report.key,
          created: status === 201,
          httpStatus: status,
        };
      }
      if (status !== 0 && !retryableStatus(status)) {
        store.markRefused();
        const message = serverMessage(text);
        log.error("report refused by the server", { status: report.status, httpStatus: status, message });
        throw createError(
          PKG,
          UnitAgentErrorCodes.REPORT_REFUSED,
          `The server refused the ${report.status} report (HTTP ${status})${message ? `: ${message}` : ""}; it is kept in ${store.refusedDir}`,
          { details: { httpStatus: status, idempotencyKey: report.key }, retryable: false },
        );
      }
      log.warn("report attempt failed", {
        attempt: attempt + 1,
        ...(status ? { httpStatus: status, message: serverMessage(text) } : { error: problem }),
      });
      if (Date.now() - started >= deadlineMs) {
        throw createError(
          PKG,
          UnitAgentErrorCodes.REPORT_NOT_DELIVERED,
          `The ${report.status} report was not delivered within ${Math.round(deadlineMs / 1000)} s; it stays in ${store.pendingDir}`,
          { details: { idempotencyKey: report.key }, retryable: true },
        );
      }
      await sleep(backoffDelayMs(attempt, o.retry, o.random), signal).catch(() => {
        throw abortedError(signal!, PKG);
      });
    }
  };

  const common = (r: {
    buildTime?: Date;
    buildDurationSeconds?: number;
    testResults?: Record<string, string>;
  }) => {
    const startedFile = path.join(o.stateDir, "started");
    const at = r.buildTime ?? now();
    let duration = r.buildDurationSeconds;
    if (duration === undefined && existsSync(startedFile)) {
      const started = Number(readFileSync(startedFile, "utf8").trim());
      if (Number.isFinite(started)) duration = Math.max(0, Math.round(at.getTime() / 1000 - started));
    }
    return {
      mac_wan: mac,
      build_time: at.toISOString(),
      ...(duration !== undefined && { build_duration_seconds: duration }),
      test_results: r.testResults ?? {},
    };
  };

  const checkNames = (names: string[]) => {
    for (const n of names)
      if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(n))
        throw createError(
          PKG,
          ErrorCodes.INVALID_ARGUMENT,
          `test name '${n}' must be 1-64 of A-Z a-z 0-9 _ . : -`,
        );
  };

  return {
    mac,
    store,
    post,
    async reportSuccess(r, opts = {}) {
      throwIfAborted(opts.signal, PKG);
      for (const [field, value] of [
        ["serial", r.serial],
        ["adminPassword", r.adminPassword],
        ["servicesPassword", r.servicesPassword],
      ] as const) {
        if (typeof value !== "string" || !SERIAL.test(value))
          throw createError(
            PKG,
            ErrorCodes.INVALID_ARGUMENT,
            `${field} must be 1-128 printable characters without spaces or quotes`,
          );
      }
      checkNames(Object.keys(r.testResults ?? {}));
      const failing = Object.entries(r.testResults ?? {}).filter(([, v]) => v !== "pass");
      if (failing.length > 0)
        throw createError(
          PKG,
          ErrorCodes.INVALID_ARGUMENT,
          `A ready report cannot carry failed tests (${failing.map(([k]) => k).join(", ")})`,
        );
      const body = JSON.stringify({
        ...common(r),
        status: "ready",
        serial: r.serial,
        admin_password: r.adminPassword,
        services_password: r.servicesPassword,
      });
      return deliver(store.store("ready", body), opts.signal);
    },
    async reportFailure(r, opts = {}) {
      throwIfAborted(opts.signal, PKG);
      checkNames([...r.failedTests, ...Object.keys(r.testResults ?? {})]);
      if (r.serial !== undefined && !SERIAL.test(r.serial))
        throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "serial must be 1-128 printable characters");
      // The server takes bodies up to 8 MiB and at most 1 000 000 / 4 000 000 characters of error
      // log and diagnostics: cut from the front, with a note, until the body fits.
      let errCap = 1_000_000;
      let diagCap = 4_000_000;
      let body: string;
      for (;;) {
        body = JSON.stringify({
          ...common(r),
          status: "failed",
          ...(r.serial !== undefined && { serial: r.serial }),
          failed_tests: r.failedTests,
          error_log: cutFront(r.errorLog ?? "", errCap),
          diagnostic_data: cutFront(r.diagnosticData ?? "", diagCap),
        });
        const size = Buffer.byteLength(body);
        if (size <= maxBody || diagCap <= 4_096) break;
        errCap = Math.floor(errCap / 2);
        diagCap = Math.floor(diagCap / 2);
        log.warn("failure report too large; cutting diagnostics", { bytes: size, keep: diagCap });
      }
      return deliver(store.store("failed", body), opts.signal);
    },
    async deliverPending(opts = {}) {
      const pending = store.pending();
      if (!pending) {
        store.markDelivered(0); // removes a body left behind by a crash after the rename
        return undefined;
      }
      return deliver(pending, opts.signal);
    },
  };
}

/** The text, or its last `max` characters after a note saying how much was cut. */
function cutFront(text: string, max: number): string {
  if (text.length <= max) return text;
  return `(first ${text.length - max} characters cut to fit the report)\n${text.slice(-max)}`;
}

/** Network errors, auth problems (a token the server may yet learn), 408/425/429 and 5xx are retried. */
export function retryableStatus(status: number): boolean {
  return (
    status === 401 || status === 403 || status === 408 || status === 425 || status === 429 || status >= 500
  );
}

function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    return typeof body.error?.message === "string" ? body.error.message.slice(0, 300) : "";
  } catch {
    return text.slice(0, 200);
  }
}
