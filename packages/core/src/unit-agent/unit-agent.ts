import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { abortedError, type SignalOptions, throwIfAborted, withDeadline } from "../abort";
import { generatePassword } from "../credentials/password";
import { createError, ErrorCodes, toFactoryError } from "../errors";
import { noopLogger } from "../logger";
import { collectDiagnostics, tailFile } from "./diagnostics";
import { PKG } from "./errors";
import {
  createUnitReporter,
  type ReportReceipt,
  type UnitReporter,
  type UnitReporterOptions,
} from "./reporter";
import { runSelfTests, type SelfTest, type SelfTestResult } from "./self-tests";

export interface UnitAgentOptions extends UnitReporterOptions {
  /** Between heartbeats, ms (default 60 000, the seed's minute). */
  heartbeatIntervalMs?: number;
  /** Bound of one heartbeat, ms (default 10 000). */
  heartbeatTimeoutMs?: number;
  /** Allowed stage names; `setStage` refuses others. Any stage when unset. */
  stages?: readonly string[];
  /** Switch port the unit builds on, sent with heartbeats when known. */
  switchPort?: string;
}

/** The unit's serial and passwords, made once and kept 0600 in the state directory until delivered. */
export interface UnitBuildCredentials {
  serial: string;
  adminPassword: string;
  servicesPassword: string;
}

export interface HeartbeatLoop {
  /** Stops the loop; resolves once no heartbeat is in flight. */
  stop(): Promise<void>;
}

export interface BuildPlan {
  /** The build itself (bootstrap); a rejection makes a failure report with `failed_tests: ["build"]`. */
  build?: (signal: AbortSignal) => Promise<void>;
  /** Bound of the build, ms (default 4 h). */
  buildTimeoutMs?: number;
  tests?: readonly SelfTest[];
  testTimeoutMs?: number;
  /** Removes the host's WAN address after the tests pass (seed: Proxmox behind OPNsense). */
  isolate?: (signal: AbortSignal) => Promise<void>;
  /** Verifies the isolation; a rejection fails the unit with the `isolation` test. */
  isolationCheck?: (signal: AbortSignal) => Promise<void>;
  /** Puts the WAN address back when anything failed, so the unit stays reachable for debugging. */
  restoreWan?: (signal: AbortSignal) => Promise<void>;
  /** Logs whose tails go into a failure report. */
  logs?: readonly string[];
  /** systemd units whose status goes into a failure report. */
  services?: readonly string[];
}

export interface UnitAgent extends UnitReporter {
  /** The stage heartbeats carry. */
  readonly stage: string | undefined;
  /** Sets the stage (validated) and sends a heartbeat at once when the loop runs. */
  setStage(stage: string): void;
  /** Sends one heartbeat; resolves whether the server took it. Rejects only `ABORTED`. */
  heartbeat(options?: SignalOptions): Promise<boolean>;
  /** Heartbeats now and every `heartbeatIntervalMs` until `stop()` or the signal fires. */
  startHeartbeats(options?: SignalOptions): HeartbeatLoop;
  /** The serial and passwords: made once (core's phonetic passwords, a random UUID) and reused after restarts. */
  credentials(supplied?: Partial<UnitBuildCredentials>): UnitBuildCredentials;
  runSelfTests(
    tests: readonly SelfTest[],
    options?: SignalOptions & { timeoutMs?: number },
  ): Promise<SelfTestResult[]>;
  /**
   * The whole unit side of seed 002: heartbeats while `build` runs, self-tests, isolation (with
   * the WAN restored on failure) and one report. A report left pending by an earlier run is
   * delivered instead of building again; a unit that already reported gets that receipt back.
   */
  run(
    plan: BuildPlan,
    options?: SignalOptions,
  ): Promise<ReportReceipt | { status: "ready" | "failed"; alreadyReported: true }>;
}

const STAGE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * The TypeScript unit agent for Node-capable units, with the same behaviour and on-disk layout as
 * factory-agent.sh: heartbeats with the stage, self-tests, isolation hooks and one durable,
 * idempotent final report.
 *
 * @example
 * const agent = createUnitAgent({ server: "http://192.168.100.250:8080", token, mac, stateDir: "/var/lib/factory-agent" });
 * const receipt = await agent.run({ build: bootstrap, tests: [{ name: "portainer", kind: "http", url: "https://10.10.20.10:9443/", insecure: true }] });
 */
export function createUnitAgent(o: UnitAgentOptions): UnitAgent {
  const reporter = createUnitReporter(o);
  const log = o.logger ?? noopLogger;
  const interval = o.heartbeatIntervalMs ?? 60_000;
  if (!Number.isFinite(interval) || interval < 10)
    throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "heartbeatIntervalMs must be at least 10");
  const now = o.now ?? (() => new Date());
  let stage: string | undefined;
  let wake: (() => void) | undefined;
  let stageChanged = false;
  const credentialsFile = path.join(o.stateDir, "credentials");
  const startedFile = path.join(o.stateDir, "started");

  const heartbeat = async (opts: SignalOptions = {}): Promise<boolean> => {
    throwIfAborted(opts.signal, PKG);
    const body = JSON.stringify({
      mac_wan: reporter.mac,
      status: "building",
      ...(stage !== undefined && { stage }),
      ...(o.switchPort !== undefined && { port: o.switchPort }),
      timestamp: now().toISOString(),
    });
    try {
      const { status, text } = await withDeadline(
        "heartbeat",
        { signal: opts.signal, timeoutMs: o.heartbeatTimeoutMs ?? 10_000 },
        (signal) => reporter.post("/api/heartbeat", body, {}, { signal }),
        PKG,
      );
      if (status >= 200 && status < 300) {
        log.debug("heartbeat sent", { stage });
        return true;
      }
      log.warn("heartbeat refused", { httpStatus: status, body: text.slice(0, 200) });
    } catch (error) {
      if (opts.signal?.aborted) throw abortedError(opts.signal, PKG);
      log.warn("heartbeat not sent", { error: toFactoryError(error, PKG).message });
    }
    return false;
  };

  // The agent's own stages (self_test, isolation, reporting) are not held to `stages`.
  const enterStage = (next: string) => {
    if (typeof next !== "string" || !STAGE.test(next))
      throw createError(
        PKG,
        ErrorCodes.INVALID_ARGUMENT,
        `stage '${String(next)}' must be 1-128 of A-Z a-z 0-9 _ . : -`,
      );
    stage = next;
    // A change during a heartbeat in flight is sent right after it, not an interval later.
    if (wake) wake();
    else stageChanged = true;
  };

  const markStarted = () => {
    if (!existsSync(startedFile)) writeFileSync(startedFile, `${Math.floor(now().getTime() / 1000)}\n`);
  };

  const agent: UnitAgent = {
    ...reporter,
    get stage() {
      return stage;
    },
    setStage(next) {
      if (o.stages && !o.stages.includes(next))
        throw createError(
          PKG,
          ErrorCodes.INVALID_ARGUMENT,
          `stage '${next}' is not one of ${o.stages.join(", ")}`,
        );
      enterStage(next);
    },
    heartbeat,
    startHeartbeats(opts = {}) {
      markStarted();
      const controller = new AbortController();
      const onAbort = () => controller.abort(opts.signal?.reason);
      if (opts.signal?.aborted) controller.abort(opts.signal.reason);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const { signal } = controller;
      const loop = (async () => {
        while (!signal.aborted) {
          stageChanged = false;
          await heartbeat({ signal }).catch(() => undefined);
          if (signal.aborted) break;
          if (stageChanged) continue;
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              signal.removeEventListener("abort", done);
              wake = undefined;
              resolve();
            };
            const timer = setTimeout(done, interval);
            signal.addEventListener("abort", done, { once: true });
            wake = done;
          });
        }
      })();
      return {
        async stop() {
          controller.abort();
          opts.signal?.removeEventListener("abort", onAbort);
          await loop;
        },
      };
    },
    credentials(supplied = {}) {
      if (!existsSync(credentialsFile)) {
        const made: UnitBuildCredentials = {
          serial: supplied.serial ?? randomUUID(),
          adminPassword: supplied.adminPassword ?? generatePassword(),
          servicesPassword: supplied.servicesPassword ?? generatePassword(),
        };
        const tmp = `${credentialsFile}.tmp`;
        writeFileSync(
          tmp,
          `FACTORY_SERIAL=${made.serial}\nFACTORY_ADMIN_PASSWORD=${made.adminPassword}\nFACTORY_SERVICES_PASSWORD=${made.servicesPassword}\n`,
          { mode: 0o600 },
        );
        renameSync(tmp, credentialsFile);
        log.info("credentials made", { serial: made.serial });
      }
      const values = new Map(
        readFileSync(credentialsFile, "utf8")
          .split("\n")
          .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
      );
      return {
        serial: values.get("FACTORY_SERIAL") ?? "",
        adminPassword: values.get("FACTORY_ADMIN_PASSWORD") ?? "",
        servicesPassword: values.get("FACTORY_SERVICES_PASSWORD") ?? "",
      };
    },
    runSelfTests: (tests, opts = {}) => runSelfTests(tests, opts),
    async run(plan, opts = {}) {
      const { signal } = opts;
      const done = reporter.store.delivered();
      if (done) return { status: done.status, alreadyReported: true as const };
      if (reporter.store.pending()) {
        log.info("delivering the report left pending by an earlier run");
        return (await reporter.deliverPending({ signal }))!;
      }
      markStarted();
      const creds = agent.credentials();
      const beats = agent.startHeartbeats({ signal });
      const results: Record<string, "pass" | "fail"> = {};
      const errors: string[] = [];
      const step = async (name: string, fn: (s: AbortSignal) => Promise<void>, timeoutMs: number) => {
        try {
          await withDeadline(name, { signal, timeoutMs }, fn, PKG);
          return true;
        } catch (error) {
          if (signal?.aborted) throw abortedError(signal, PKG);
          errors.push(`--- ${name} failed: ${toFactoryError(error, PKG).message}`);
          log.warn(`${name} failed`, { error: toFactoryError(error, PKG).message });
          return false;
        }
      };
      let ok = true;
      try {
        if (plan.build) {
          ok = await step("build", plan.build, plan.buildTimeoutMs ?? 4 * 3600_000);
          if (!ok) results.build = "fail";
        }
        if (ok) {
          enterStage("self_test");
          for (const r of await runSelfTests(plan.tests ?? [], {
            ...(signal && { signal }),
            ...(plan.testTimeoutMs !== undefined && { timeoutMs: plan.testTimeoutMs }),
          })) {
            results[r.name] = r.passed ? "pass" : "fail";
            if (!r.passed) {
              ok = false;
              errors.push(`--- ${r.name} failed:\n${r.output}`);
            }
          }
        }
        if (ok && (plan.isolate || plan.isolationCheck)) {
          enterStage("isolation");
          let iso = true;
          if (plan.isolate) iso = await step("isolate", plan.isolate, 300_000);
          if (iso && plan.isolationCheck) iso = await step("isolation_check", plan.isolationCheck, 300_000);
          results.isolation = iso ? "pass" : "fail";
          ok = iso;
        }
        enterStage("reporting");
      } finally {
        await beats.stop();
      }
      if (ok) {
        return reporter.reportSuccess({ ...creds, testResults: results }, { ...(signal && { signal }) });
      }
      if (plan.restoreWan) await step("restore_wan", plan.restoreWan, 300_000);
      const firstLog = plan.logs?.[0];
      const tail = firstLog ? await tailFile(firstLog, 65_536) : undefined;
      return reporter.reportFailure(
        {
          serial: creds.serial,
          failedTests: Object.entries(results)
            .filter(([, v]) => v === "fail")
            .map(([k]) => k),
          testResults: results,
          errorLog: `${errors.join("\n")}\n${tail ?? ""}`,
          diagnosticData: await collectDiagnostics({
            ...(plan.logs && { logs: plan.logs }),
            ...(plan.services && { services: plan.services }),
            ...(signal && { signal }),
          }),
        },
        { ...(signal && { signal }) },
      );
    },
  };
  return agent;
}
