import type { SignalOptions } from "../abort";

/** Outcome of one console test (seed `testing:` block). */
export interface TestResult {
  name: string;
  passed: boolean;
  /** The line that matched, or the last lines seen when it did not. Never contains secrets. */
  output?: string;
  durationMs: number;
  errorCode?: string;
}

/** One device's row in the daily `factory_records_YYYYMMDD.csv` and in the store. */
export interface DeviceRecord {
  timestamp: Date;
  deviceId: string;
  mac?: string;
  uniqueId?: string;
  boardType: string;
  chip?: string;
  firmwareVersion?: string;
  stationId?: string;
  port: string;
  batchId?: string;
  status: "passed" | "failed";
  /** Seconds spent writing and verifying (the quality gate's `max_flash_time` measure). */
  flashTimeSeconds?: number;
  attempts: number;
  tests: TestResult[];
  /** QR payload (never a secret in clear unless the integrator's template puts one there). */
  qrCode?: string;
  errorCode?: string;
  error?: string;
  failedStep?: string;
}

/** Where device records go: CSV files, the server, both. Writes are durable when they resolve. */
export interface RecordSink {
  write(record: DeviceRecord, options?: SignalOptions): Promise<void>;
  close?(): Promise<void>;
}

/** What a registration service needs to know about a device that passed. */
export interface RegistrationRequest {
  deviceId: string;
  uniqueId: string;
  mac?: string;
  boardType: string;
  chip?: string;
  firmwareVersion?: string;
  stationId?: string;
  batchId?: string;
  deviceSecret: string;
  provisioningToken: string;
}

export interface RegistrationReceipt {
  deviceId: string;
  /** False when the service already had this device (a retried registration). */
  created: boolean;
  /** True when the registration was queued for later delivery (service down). */
  queued?: boolean;
}

/**
 * Registers passing devices with a backend (the server's device-registrations API or an
 * integrator's provisioning service). Must be idempotent by `deviceId`: calling twice never
 * registers twice. Rejects `REGISTRATION_FAILED` (retryable) or `CONFLICT`.
 */
export interface Registrar {
  register(request: RegistrationRequest, options?: SignalOptions): Promise<RegistrationReceipt>;
}
