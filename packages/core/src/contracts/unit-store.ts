import type { SignalOptions } from "../abort";

/**
 * Lifecycle of an appliance unit (seed 002): `building` while heartbeats arrive, `ready` after a
 * success report, `failed` after a failure report, `stuck` when heartbeats stop without a final
 * report, `labeled` after the operator confirmed the label (credentials are gone by then).
 */
export type UnitStatus = "building" | "ready" | "failed" | "stuck" | "labeled";

/** A unit record as stored. Never carries credentials: those are read separately. */
export interface Unit {
  /** WAN MAC, normalised lower-case `aa:bb:cc:dd:ee:ff`. The primary key. */
  mac: string;
  serial?: string;
  status: UnitStatus;
  stage?: string;
  /** Switch port the unit was last seen building on. */
  port?: string;
  buildTime?: Date;
  buildDurationSeconds?: number;
  testResults?: Record<string, string>;
  failedTests?: string[];
  errorLog?: string;
  diagnosticData?: string;
  lastHeartbeat?: Date;
  createdAt: Date;
  updatedAt: Date;
  labeledAt?: Date;
  /** How many labels were printed for this unit beyond the first. */
  reprints: number;
  /** True while the unit's passwords are stored. */
  hasCredentials: boolean;
}

export interface UnitCredentials {
  adminPassword: string;
  servicesPassword: string;
}

export interface Heartbeat {
  mac: string;
  status: "building";
  stage?: string;
  port?: string;
  timestamp: Date;
}

/** A final report from a unit: success with credentials, or failure with diagnostics. */
export type UnitReport =
  | {
      mac: string;
      status: "ready";
      serial: string;
      credentials: UnitCredentials;
      buildTime?: Date;
      buildDurationSeconds?: number;
      testResults?: Record<string, string>;
    }
  | {
      mac: string;
      status: "failed";
      serial?: string;
      buildTime?: Date;
      buildDurationSeconds?: number;
      failedTests?: string[];
      testResults?: Record<string, string>;
      errorLog?: string;
      diagnosticData?: string;
    };

/** A board-line device registered with its generated credentials (seed 000). */
export interface DeviceRegistration {
  deviceId: string;
  mac?: string;
  uniqueId: string;
  boardType: string;
  stationId?: string;
  batchId?: string;
  firmwareVersion?: string;
  /** Stored hashed or encrypted by SQL stores; returned only to callers allowed to read it. */
  deviceSecret?: string;
  /** One-time provisioning token; consumed once. */
  provisioningToken?: string;
  createdAt: Date;
}

export interface BatchSummary {
  batchId: string;
  stationId?: string;
  startedAt: Date;
  finishedAt?: Date;
  total: number;
  passed: number;
  failed: number;
}

export interface DebugLog {
  id: string;
  mac: string;
  collectedAt: Date;
  /** File or command name → its captured output. */
  entries: Record<string, string>;
}

export interface AuditEvent {
  id?: string;
  at: Date;
  /** Token name or station id. Never a secret. */
  actor: string;
  action:
    | "credentials.read"
    | "label.printed"
    | "label.confirmed"
    | "label.rejected"
    | "credentials.deleted"
    | "unit.deleted"
    | "unit.stuck"
    | "registration.created"
    | (string & {});
  mac?: string;
  details?: Record<string, unknown>;
}

export interface UnitFilter {
  status?: UnitStatus | UnitStatus[];
  since?: Date;
  limit?: number;
}

export interface Metrics {
  successRateByDay: { date: string; success: number; failed: number; successRate: number }[];
  averageBuildDurationSeconds: number | null;
  commonFailedTests: { test: string; count: number }[];
  reprints: number;
}

/** Options for a write that a client may retry. */
export interface IdempotentOptions extends SignalOptions {
  /** The same key with the same content returns the first result; different content → `CONFLICT`. */
  idempotencyKey?: string;
}

/**
 * Persistence for both lines. Every implementation (in-memory, SQLite, PostgreSQL) passes the
 * same conformance suite from `@factory/core/testing` (`describeUnitStoreConformance`).
 *
 * Behaviour every implementation shares:
 * - MACs are accepted in the usual spellings (`normalizeMac`) and stored normalised; a string
 *   that is not a MAC rejects with `INVALID_ARGUMENT` and changes nothing.
 * - A write that touches two records is atomic.
 * - Unit lifecycle: (none) → `building` (heartbeat) → `ready` | `failed` (report) → `labeled`
 *   (`deleteCredentials`). `stuck` (from `markStuck`) goes back to `building` on a heartbeat
 *   and accepts a final report. Everything else rejects with `INVALID_TRANSITION` and changes
 *   nothing: a heartbeat for a `ready`, `failed` or `labeled` unit, a second report with
 *   different content, any report for a `labeled` unit. A failed unit that is rebuilt is first
 *   removed with `deleteUnit` (after the debug station collected its logs).
 * - Idempotency: a report identical to the stored one is absorbed (`created: false`), with or
 *   without an idempotency key. A key reused with different content rejects `CONFLICT`.
 * - `deleteCredentials` leaves no readable copy of the passwords behind (SQL stores destroy the
 *   per-unit key, overwrite freed pages and truncate the write-ahead log).
 * - Unknown units: reads resolve `undefined`/`false`; writes that need the unit reject `NOT_FOUND`.
 * - Every call honours `signal` (rejects `ABORTED` before it writes anything once fired).
 */
export interface UnitStore {
  /** Creates the unit on its first heartbeat, else updates stage, port and `lastHeartbeat`. */
  recordHeartbeat(heartbeat: Heartbeat, options?: SignalOptions): Promise<Unit>;
  /** Records a final report. `created` is false when an identical retry was absorbed. */
  recordReport(report: UnitReport, options?: IdempotentOptions): Promise<{ unit: Unit; created: boolean }>;
  getUnit(mac: string, options?: SignalOptions): Promise<Unit | undefined>;
  /** Newest first (by `updatedAt`, then MAC). */
  listUnits(filter?: UnitFilter, options?: SignalOptions): Promise<Unit[]>;
  /** The unit's passwords, or undefined once deleted. Callers audit the read. */
  getCredentials(mac: string, options?: SignalOptions): Promise<UnitCredentials | undefined>;
  /** Destroys the credentials and marks the unit `labeled`. Resolves false if none were stored. */
  deleteCredentials(mac: string, options?: SignalOptions): Promise<boolean>;
  /** Removes the unit record altogether, credentials and debug logs included. */
  deleteUnit(mac: string, options?: SignalOptions): Promise<boolean>;
  /**
   * Counts one more printed label (unit must be `ready`, else `INVALID_TRANSITION`; unknown →
   * `NOT_FOUND`); from the second print on it counts as a reprint.
   */
  recordLabelPrint(mac: string, options?: SignalOptions): Promise<Unit>;
  /** Marks `building` units whose last heartbeat is older than `before` as `stuck`; returns them. */
  markStuck(before: Date, options?: SignalOptions): Promise<Unit[]>;

  /**
   * Registers one board-line device, idempotent by `deviceId` (same content → `created: false`,
   * different content → `CONFLICT`). The returned record carries the secrets as given; later
   * reads (`listRegistrations`) never return `deviceSecret` or `provisioningToken`.
   */
  addRegistration(
    registration: Omit<DeviceRegistration, "createdAt">,
    options?: IdempotentOptions,
  ): Promise<{ registration: DeviceRegistration; created: boolean }>;
  /** Registers many devices in one transaction: all are written or none (`CONFLICT` names the first clash). */
  addRegistrations(
    registrations: Omit<DeviceRegistration, "createdAt">[],
    options?: SignalOptions,
  ): Promise<{ registration: DeviceRegistration; created: boolean }[]>;
  /** Oldest first, without secrets. */
  listRegistrations(
    filter?: { batchId?: string; stationId?: string; limit?: number },
    options?: SignalOptions,
  ): Promise<DeviceRegistration[]>;
  /** Inserts or replaces the batch with this `batchId`. */
  upsertBatch(batch: BatchSummary, options?: SignalOptions): Promise<void>;
  /** Newest `startedAt` first. */
  listBatches(
    filter?: { stationId?: string; limit?: number },
    options?: SignalOptions,
  ): Promise<BatchSummary[]>;

  /** Stores logs collected from a unit (which must exist, else `NOT_FOUND`). */
  addDebugLog(log: Omit<DebugLog, "id">, options?: SignalOptions): Promise<DebugLog>;
  /** Oldest first. */
  listDebugLogs(mac: string, options?: SignalOptions): Promise<DebugLog[]>;

  appendAudit(event: AuditEvent, options?: SignalOptions): Promise<void>;
  /** Newest first. */
  listAudit(
    filter?: { mac?: string; action?: string; limit?: number },
    options?: SignalOptions,
  ): Promise<AuditEvent[]>;

  /**
   * The seed's quality metrics over units whose `buildTime` lies in `[since, until)`:
   * success rate by UTC day (newest day first; `labeled` counts as success), average build
   * duration of successful builds, failed tests by count (then name), and total reprints.
   */
  metrics(range?: { since?: Date; until?: Date }, options?: SignalOptions): Promise<Metrics>;
  close(): Promise<void>;
}
