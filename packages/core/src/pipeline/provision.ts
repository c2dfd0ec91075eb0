import { type SignalOptions, sleep, withDeadline } from "../abort";
import type {
  BoardDriver,
  BoardSession,
  DeviceIdentity,
  FlashPlan,
  FlashProgress,
} from "../contracts/board-driver";
import { describePort, type PortRef } from "../contracts/port";
import type { RecordSink, Registrar, RegistrationReceipt, TestResult } from "../contracts/records";
import { generateDeviceSecret, generateProvisioningToken } from "../credentials/tokens";
import { createError, ErrorCodes, type FactoryError, toFactoryError } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { type ConsoleTest, runConsoleTests } from "./console-tests";
import { checkFirmwareGate, checkFlashTimeGate, type QualityGates } from "./gates";
import type { IdentityGuard } from "./identity-guard";
import { toDeviceRecord } from "./record";
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay, shouldRetry } from "./retry";
import type { DeviceResult, ErrorInfo, GateResult, PipelineEvent, StepName } from "./types";

/** Secrets generated once per device and handed to the plan builder and the registrar. */
export interface DeviceSecrets {
  deviceSecret: string;
  provisioningToken: string;
}

/** What a plan builder knows when it builds one device's plan (per-device NVS, OTP, EEPROM). */
export interface PlanContext {
  identity: DeviceIdentity;
  deviceId: string;
  secrets: DeviceSecrets;
  port: PortRef;
}

export type PlanSource = FlashPlan | ((context: PlanContext) => FlashPlan | Promise<FlashPlan>);

/** Default per-step time bounds, ms. `write` scales with plan size on top of this floor. */
export const DEFAULT_STEP_TIMEOUTS: Readonly<Record<StepName, number>> = {
  detect: 20_000,
  identify: 15_000,
  plan: 15_000,
  write: 600_000,
  verify: 120_000,
  test: 60_000,
  gates: 5_000,
  register: 30_000,
  label: 15_000,
  record: 15_000,
};

export interface ProvisionOptions extends SignalOptions {
  driver: BoardDriver;
  port: PortRef;
  /** Board type from config (`esp32`); recorded and used in device IDs. */
  boardType: string;
  plan: PlanSource;
  /** `identify` is the seed's `--test-mode`: detect and identify, write nothing, record nothing. */
  mode?: "provision" | "identify";
  /** Driver settings for `open` (baud, reset strategy, DFU alt…). */
  settings?: Record<string, unknown>;
  tests?: readonly ConsoleTest[];
  gates?: QualityGates;
  retry?: Partial<RetryPolicy>;
  timeouts?: Partial<Record<StepName, number>>;
  registrar?: Registrar;
  recorder?: RecordSink;
  identityGuard?: IdentityGuard;
  /** Device ID from identity; defaults to `<boardType>-<uniqueId>` (stable across retries and reflashes). */
  deviceId?: (identity: DeviceIdentity, boardType: string) => string;
  /** Secrets for a new device; defaults to a 256-bit device secret and a 160-bit one-time token. */
  secrets?: () => DeviceSecrets;
  /**
   * QR payload for the device's label; defaults to `factory:<deviceId>:<provisioningToken>`, the
   * pairing credential the seed puts on the QR code.
   */
  qrPayload?: (context: PlanContext) => string;
  /**
   * Renders or prints the device's QR/label (a PNG file, a label printer). Receives the real
   * payload; results, records and events only ever see it with the secrets masked.
   */
  label?: (
    payload: string,
    context: PlanContext,
    options: SignalOptions,
  ) => Promise<{ file?: string } | undefined>;
  firmwareVersion?: string;
  stationId?: string;
  batchId?: string;
  onEvent?: (event: PipelineEvent) => void;
  logger?: Logger;
}

/**
 * Runs the provisioning pipeline for the device on one port: detect → identify → plan → write →
 * verify → console tests → gates → register → label (QR) → record.
 *
 * Never rejects: the outcome, including every failure, is in the returned {@link DeviceResult}
 * with a coded error naming the step. Each step is bounded by its timeout, the whole run by the
 * signal; failed attempts are retried under the retry policy from a fresh session. The session is
 * always closed. Registration and records happen once, after the device passed.
 *
 * @example
 * const result = await provisionDevice({ driver, port: { path: "/dev/ttyUSB0" }, boardType: "esp32", plan });
 * if (result.status !== "passed") console.error(result.error?.code, result.error?.message);
 */
export async function provisionDevice(options: ProvisionOptions): Promise<DeviceResult> {
  const run = new Run(options);
  return run.execute();
}

class Run {
  private readonly o: ProvisionOptions;
  private readonly policy: RetryPolicy;
  private readonly timeouts: Record<StepName, number>;
  private readonly log: Logger;
  private readonly startedAt = new Date();
  private identity: DeviceIdentity | undefined;
  private deviceId: string | undefined;
  private secrets: DeviceSecrets | undefined;
  private tests: TestResult[] = [];
  private gates: GateResult[] = [];
  private attempt = 0;

  constructor(options: ProvisionOptions) {
    this.o = options;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeouts = { ...DEFAULT_STEP_TIMEOUTS, ...options.timeouts };
    this.log = (options.logger ?? noopLogger).child({ port: options.port.path });
  }

  async execute(): Promise<DeviceResult> {
    this.emit({ type: "device-start", boardType: this.o.boardType });
    let flashTimeMs: number | undefined;
    let flashResult: DeviceResult["flash"];
    let failure: { error: FactoryError; step: StepName } | undefined;

    while (true) {
      this.attempt += 1;
      this.tests = [];
      this.gates = [];
      this.emit({ type: "attempt-start", attempt: this.attempt, maxAttempts: this.policy.maxAttempts });
      try {
        const outcome = await this.deviceAttempt();
        flashTimeMs = outcome?.flashTimeMs;
        flashResult = outcome?.flash;
        failure = undefined;
        break;
      } catch (caught) {
        const { error, step } = caught as StepFailure;
        failure = { error, step };
        const retry = !this.o.signal?.aborted && shouldRetry(this.policy, error, this.attempt);
        this.emit({
          type: "step-failed",
          step,
          attempt: this.attempt,
          error: info(error, step),
          willRetry: retry,
        });
        // A stop asked for by the operator (Ctrl-C, station closing) is not a fault of the board.
        if (this.o.signal?.aborted && error.code === ErrorCodes.ABORTED) {
          this.log.info(`${step} stopped: ${error.message}`, { code: error.code, attempt: this.attempt });
        } else {
          this.log.warn(`${step} failed: ${error.message}`, { code: error.code, attempt: this.attempt });
        }
        if (!retry) break;
        const delayMs = retryDelay(this.policy, this.attempt);
        this.emit({ type: "retry-wait", attempt: this.attempt, delayMs, error: info(error, step) });
        try {
          await sleep(delayMs, this.o.signal);
        } catch (abort) {
          failure = { error: toFactoryError(abort), step };
          break;
        }
      }
    }

    let registration: RegistrationReceipt | undefined;
    let qrPayload: string | undefined;
    let qrFile: string | undefined;
    if (!failure && this.o.mode !== "identify") {
      try {
        registration = await this.step("register", (signal) => this.register(signal));
        const labelled = await this.step("label", (signal) => this.label(signal));
        qrPayload = labelled?.masked;
        qrFile = labelled?.file;
      } catch (caught) {
        const { error, step } = caught as StepFailure;
        failure = { error, step };
        this.emit({
          type: "step-failed",
          step,
          attempt: this.attempt,
          error: info(error, step),
          willRetry: false,
        });
      }
    }

    const aborted = failure?.error.code === ErrorCodes.ABORTED;
    const result: DeviceResult = {
      port: this.o.port,
      status: failure ? (aborted ? "aborted" : "failed") : "passed",
      boardType: this.o.boardType,
      tests: this.tests,
      gates: this.gates,
      attempts: this.attempt,
      startedAt: this.startedAt,
      finishedAt: new Date(),
      ...(this.deviceId !== undefined && { deviceId: this.deviceId }),
      ...(this.identity && { identity: this.identity }),
      ...(flashResult && { flash: flashResult }),
      ...(flashTimeMs !== undefined && { flashTimeMs }),
      ...(registration && { registration }),
      ...(qrPayload !== undefined && { qrPayload }),
      ...(qrFile !== undefined && { qrFile }),
      ...(failure && { error: info(failure.error, failure.step) }),
    };

    // Records describe what finished: a device interrupted by Ctrl-C is not recorded as failed,
    // and test mode writes nothing.
    if (this.o.recorder && this.o.mode !== "identify" && !aborted) {
      try {
        await this.step("record", (signal) =>
          this.o.recorder!.write(
            toDeviceRecord(result, {
              stationId: this.o.stationId,
              batchId: this.o.batchId,
              firmwareVersion: this.o.firmwareVersion,
            }),
            { signal },
          ),
        );
      } catch (caught) {
        const { error, step } = caught as StepFailure;
        this.emit({
          type: "step-failed",
          step,
          attempt: this.attempt,
          error: info(error, step),
          willRetry: false,
        });
        result.status = "failed";
        result.error ??= info(error, step);
      }
    }
    result.finishedAt = new Date();
    this.emit({ type: "device-done", result });
    return result;
  }

  /** One attempt at the device itself, from opening the port to the last console test. */
  private async deviceAttempt(): Promise<
    { flash?: DeviceResult["flash"]; flashTimeMs?: number } | undefined
  > {
    const { driver, port } = this.o;
    let session: BoardSession | undefined;
    try {
      session = await this.step("detect", (signal) =>
        driver.open(port, {
          signal,
          logger: this.log,
          ...(this.o.settings && { settings: this.o.settings }),
        }),
      );
      const opened = session;
      const identity = await this.step("identify", async (signal) => {
        const found = await opened.identify({ signal });
        this.o.identityGuard?.claim(found.uniqueId, port.path);
        if (this.identity && this.identity.uniqueId !== found.uniqueId) {
          throw createError(
            "core",
            ErrorCodes.DEVICE_MISMATCH,
            `The device on ${describePort(port)} changed between attempts`,
            {
              details: { before: this.identity.uniqueId, after: found.uniqueId },
            },
          );
        }
        return found;
      });
      this.identity = identity;
      this.emit({ type: "identified", identity });
      if (this.o.mode === "identify") return undefined;

      this.deviceId ??= (this.o.deviceId ?? defaultDeviceId)(identity, this.o.boardType);
      this.secrets ??= (this.o.secrets ?? randomSecrets)();
      const plan = await this.step("plan", async () => {
        const built = typeof this.o.plan === "function" ? await this.o.plan(this.context()) : this.o.plan;
        const gate = checkFirmwareGate(built, this.o.gates);
        if (gate) this.gates.push(gate);
        return built;
      });

      const writeStarted = performance.now();
      const totalBytes = plan.regions.reduce((sum, r) => sum + r.data.length, 0);
      const flash = await this.step(
        "write",
        (signal) => opened.flash(plan, { signal, onProgress: this.progress("write") }),
        this.timeouts.write + totalBytes / 500, // floor plus 2 s per MB: slow links still finish
      );
      if (driver.capabilities.verify !== "none") {
        const verified = await this.step("verify", (signal) =>
          opened.verify(plan, { signal, onProgress: this.progress("verify") }),
        );
        if (!verified.ok) {
          const bad = verified.regions.filter((r) => !r.ok);
          throw new StepFailure(
            "verify",
            createError(
              "core",
              ErrorCodes.VERIFY_FAILED,
              `Verification failed on ${describePort(port)}: ${bad.map((r) => `${r.name} expected ${r.expected}, read ${r.actual}`).join("; ")}`,
              { details: { regions: bad } },
            ),
          );
        }
      }
      const flashTimeMs = performance.now() - writeStarted;
      await this.step("gates", async () => {
        const gate = checkFlashTimeGate(flashTimeMs, this.o.gates);
        if (gate) this.gates.push(gate);
      });

      const tests = this.o.tests ?? [];
      if (tests.length > 0) {
        const budget = tests.reduce((sum, t) => sum + t.timeoutMs, 0) + this.timeouts.test;
        await this.step(
          "test",
          async (signal) => {
            if (!driver.capabilities.console) {
              throw createError(
                "core",
                ErrorCodes.NOT_SUPPORTED,
                `The ${driver.name} driver has no console for tests`,
              );
            }
            await opened.reset("app", { signal });
            const console = await opened.openConsole({ signal });
            try {
              this.tests = await runConsoleTests(console, tests, {
                signal,
                onResult: (result) => this.emit({ type: "test-result", result }),
              });
            } finally {
              await console.close().catch(() => {});
            }
            const failed = this.tests.filter((t) => !t.passed);
            this.gates.push({ gate: "tests", passed: failed.length === 0, actual: failed.length, limit: 0 });
            if (failed.length > 0) {
              throw createError(
                "core",
                ErrorCodes.TEST_FAILED,
                `Console test${failed.length > 1 ? "s" : ""} failed: ${failed.map((t) => `${t.name} (${t.errorCode ?? "no match"})`).join(", ")}`,
                { details: { failed: failed.map((t) => t.name) } },
              );
            }
          },
          budget,
        );
      }
      return { flash, flashTimeMs };
    } catch (error) {
      if (error instanceof StepFailure) throw error;
      throw new StepFailure("detect", toFactoryError(error));
    } finally {
      await session?.close().catch(() => {});
    }
  }

  private async register(signal: AbortSignal): Promise<RegistrationReceipt | undefined> {
    const registrar = this.o.registrar;
    if (!registrar || !this.identity || !this.deviceId || !this.secrets) return undefined;
    const request = {
      deviceId: this.deviceId,
      uniqueId: this.identity.uniqueId,
      boardType: this.o.boardType,
      chip: this.identity.chip,
      deviceSecret: this.secrets.deviceSecret,
      provisioningToken: this.secrets.provisioningToken,
      ...(this.identity.mac && { mac: this.identity.mac }),
      ...(this.o.firmwareVersion && { firmwareVersion: this.o.firmwareVersion }),
      ...(this.o.stationId && { stationId: this.o.stationId }),
      ...(this.o.batchId && { batchId: this.o.batchId }),
    };
    // The registrar is idempotent by deviceId, so retrying a registration whose answer was lost is safe.
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await registrar.register(request, { signal });
      } catch (caught) {
        const error = toFactoryError(caught);
        if (signal.aborted || !shouldRetry(this.policy, error, attempt)) throw error;
        await sleep(retryDelay(this.policy, attempt), signal);
      }
    }
  }

  private async label(signal: AbortSignal): Promise<{ masked: string; file?: string } | undefined> {
    if (!this.identity || !this.deviceId || !this.secrets) return undefined;
    const context = this.context();
    const payload = this.o.qrPayload
      ? this.o.qrPayload(context)
      : `factory:${this.deviceId}:${this.secrets.provisioningToken}`;
    const rendered = this.o.label ? await this.o.label(payload, context, { signal }) : undefined;
    const masked = maskSecrets(payload, this.secrets);
    return rendered?.file ? { masked, file: rendered.file } : { masked };
  }

  private context(): PlanContext {
    return { identity: this.identity!, deviceId: this.deviceId!, secrets: this.secrets!, port: this.o.port };
  }

  /** Runs one step under its time bound with start/end events; failures carry the step name. */
  private async step<T>(
    step: StepName,
    fn: (signal: AbortSignal) => Promise<T>,
    timeoutMs?: number,
  ): Promise<T> {
    const started = performance.now();
    this.emit({ type: "step-start", step, attempt: this.attempt });
    try {
      const value = await withDeadline(
        `The ${step} step on ${describePort(this.o.port)}`,
        { signal: this.o.signal, timeoutMs: timeoutMs ?? this.timeouts[step] },
        fn,
      );
      this.emit({ type: "step-end", step, attempt: this.attempt, durationMs: performance.now() - started });
      return value;
    } catch (error) {
      if (error instanceof StepFailure) throw error;
      throw new StepFailure(step, toFactoryError(error));
    }
  }

  private progress(step: "write" | "verify") {
    const started = new Map<string, number>();
    return (progress: FlashProgress) => {
      const key = `${progress.region}:${progress.phase}`;
      const now = performance.now();
      if (!started.has(key)) started.set(key, now);
      const seconds = (now - started.get(key)!) / 1000;
      this.emit({
        type: "progress",
        step,
        progress,
        bytesPerSecond: seconds > 0 ? progress.bytesDone / seconds : 0,
      });
    };
  }

  private emit(event: DistributiveOmit<PipelineEvent, "port" | "at">): void {
    if (!this.o.onEvent) return;
    try {
      this.o.onEvent({ ...event, port: this.o.port, at: new Date() } as PipelineEvent);
    } catch (error) {
      // A broken progress bar must not fail a device.
      this.log.error("Pipeline event listener threw", { error: String(error) });
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A failure tagged with the step it happened in. Internal: never leaves the pipeline. */
class StepFailure {
  constructor(
    readonly step: StepName,
    readonly error: FactoryError,
  ) {}
}

function info(error: FactoryError, step: StepName): ErrorInfo {
  return { code: error.code, message: error.message, step };
}

/** Replaces every secret inside `text` so that it can be logged, recorded and sent in events. */
export function maskSecrets(text: string, secrets: DeviceSecrets): string {
  let out = text;
  for (const secret of [secrets.deviceSecret, secrets.provisioningToken]) {
    if (secret) out = out.split(secret).join("[redacted]");
  }
  return out;
}

function defaultDeviceId(identity: DeviceIdentity, boardType: string): string {
  return `${boardType}-${identity.uniqueId.replace(/[^0-9a-z]/gi, "").toLowerCase()}`;
}

function randomSecrets(): DeviceSecrets {
  return { deviceSecret: generateDeviceSecret(), provisioningToken: generateProvisioningToken() };
}
