import type { DeviceIdentity, FlashProgress, FlashResult } from "../contracts/board-driver";
import type { PortRef } from "../contracts/port";
import type { RegistrationReceipt, TestResult } from "../contracts/records";

/** The steps of the provisioning pipeline, in order. */
export const STEPS = [
  "detect",
  "identify",
  "plan",
  "write",
  "verify",
  "test",
  "gates",
  "register",
  "label",
  "record",
] as const;

export type StepName = (typeof STEPS)[number];

/** A coded error as carried in events and results (plain data, safe to serialise). */
export interface ErrorInfo {
  code: string;
  message: string;
  step?: StepName;
}

export interface GateResult {
  gate: "max_firmware_size" | "max_flash_time" | "max_retry_attempts" | "tests" | (string & {});
  passed: boolean;
  limit?: number;
  actual?: number;
  message?: string;
}

/** Everything the pipeline knows about one device when it is done with it. */
export interface DeviceResult {
  port: PortRef;
  status: "passed" | "failed" | "aborted";
  deviceId?: string;
  identity?: DeviceIdentity;
  boardType: string;
  flash?: FlashResult;
  /** Milliseconds of write + verify in the successful attempt. */
  flashTimeMs?: number;
  tests: TestResult[];
  gates: GateResult[];
  registration?: RegistrationReceipt;
  /** The QR payload with every secret masked (`[redacted]`). */
  qrPayload?: string;
  /** Where the label hook wrote the QR/label image, when it did. */
  qrFile?: string;
  attempts: number;
  error?: ErrorInfo;
  startedAt: Date;
  finishedAt: Date;
}

interface Base {
  port: PortRef;
  at: Date;
}

/**
 * Typed events for progress bars, logs and the dashboard. Events never carry secrets.
 */
export type PipelineEvent =
  | (Base & { type: "device-start"; boardType: string })
  | (Base & { type: "attempt-start"; attempt: number; maxAttempts: number })
  | (Base & { type: "step-start"; step: StepName; attempt: number })
  | (Base & { type: "step-end"; step: StepName; attempt: number; durationMs: number; skipped?: boolean })
  | (Base & { type: "step-failed"; step: StepName; attempt: number; error: ErrorInfo; willRetry: boolean })
  | (Base & { type: "identified"; identity: DeviceIdentity })
  | (Base & {
      type: "progress";
      step: "write" | "verify";
      progress: FlashProgress;
      /** Image bytes per second over this region so far. */
      bytesPerSecond: number;
    })
  | (Base & { type: "test-result"; result: TestResult })
  | (Base & { type: "retry-wait"; attempt: number; delayMs: number; error: ErrorInfo })
  | (Base & { type: "device-done"; result: DeviceResult })
  | (Base & { type: "port-state"; state: "empty" | "present" | "busy" });

export type PipelineEventType = PipelineEvent["type"];
