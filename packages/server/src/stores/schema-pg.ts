import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  serial,
  text,
  timestamp,
} from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

/** PostgreSQL schema: the same tables as SQLite with native types. */
export const units = pgTable(
  "units",
  {
    mac: text("mac").primaryKey(),
    serial: text("serial"),
    status: text("status", { enum: ["building", "ready", "failed", "stuck", "labeled"] }).notNull(),
    stage: text("stage"),
    port: text("port"),
    buildTime: ts("build_time"),
    buildDurationSeconds: integer("build_duration_seconds"),
    testResults: jsonb("test_results").$type<Record<string, string>>(),
    failedTests: jsonb("failed_tests").$type<string[]>(),
    errorLog: text("error_log"),
    diagnosticData: text("diagnostic_data"),
    lastHeartbeat: ts("last_heartbeat"),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
    labeledAt: ts("labeled_at"),
    labelPrints: integer("label_prints").notNull().default(0),
    reportFingerprint: text("report_fingerprint"),
  },
  (t) => [
    index("units_status_idx").on(t.status),
    index("units_last_heartbeat_idx").on(t.lastHeartbeat),
    index("units_updated_at_idx").on(t.updatedAt),
    index("units_build_time_idx").on(t.buildTime),
  ],
);

export const unitCredentials = pgTable("unit_credentials", {
  mac: text("mac")
    .primaryKey()
    .references(() => units.mac, { onDelete: "cascade" }),
  wrappedKey: bytea("wrapped_key").notNull(),
  sealed: bytea("sealed").notNull(),
});

export const idempotencyKeys = pgTable("idempotency_keys", {
  key: text("key").primaryKey(),
  mac: text("mac").notNull(),
  fingerprint: text("fingerprint").notNull(),
  createdAt: ts("created_at").notNull(),
});

export const registrations = pgTable(
  "device_registrations",
  {
    deviceId: text("device_id").primaryKey(),
    mac: text("mac"),
    uniqueId: text("unique_id").notNull(),
    boardType: text("board_type").notNull(),
    stationId: text("station_id"),
    batchId: text("batch_id"),
    firmwareVersion: text("firmware_version"),
    sealedSecrets: bytea("sealed_secrets"),
    fingerprint: text("fingerprint").notNull(),
    createdAt: ts("created_at").notNull(),
    seq: bigint("seq", { mode: "number" }).generatedAlwaysAsIdentity(),
  },
  (t) => [index("registrations_batch_idx").on(t.batchId), index("registrations_station_idx").on(t.stationId)],
);

export const batches = pgTable("batches", {
  batchId: text("batch_id").primaryKey(),
  stationId: text("station_id"),
  startedAt: ts("started_at").notNull(),
  finishedAt: ts("finished_at"),
  total: integer("total").notNull(),
  passed: integer("passed").notNull(),
  failed: integer("failed").notNull(),
});

export const debugLogs = pgTable(
  "debug_logs",
  {
    id: text("id").primaryKey(),
    mac: text("mac")
      .notNull()
      .references(() => units.mac, { onDelete: "cascade" }),
    collectedAt: ts("collected_at").notNull(),
    entries: jsonb("entries").$type<Record<string, string>>().notNull(),
  },
  (t) => [index("debug_logs_mac_idx").on(t.mac)],
);

export const auditEvents = pgTable(
  "audit_events",
  {
    id: serial("id").primaryKey(),
    at: ts("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    mac: text("mac"),
    details: jsonb("details").$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_mac_idx").on(t.mac), index("audit_at_idx").on(t.at)],
);

/**
 * One row per board-line device record (a row of the seed's daily CSV). `record_id` is the
 * record's own hash, so a resend is absorbed by the primary key; `cells` keeps every CSV cell.
 */
export const boardRecords = pgTable(
  "board_records",
  {
    recordId: text("record_id").primaryKey(),
    timestamp: ts("timestamp").notNull(),
    stationId: text("station_id").notNull(),
    batchId: text("batch_id").notNull(),
    mac: text("mac"),
    status: text("status", { enum: ["passed", "failed"] }).notNull(),
    cells: jsonb("cells").$type<Record<string, string>>().notNull(),
    sentBy: text("sent_by").notNull(),
    receivedAt: ts("received_at").notNull(),
  },
  (t) => [
    index("board_records_timestamp_idx").on(t.timestamp, t.recordId),
    index("board_records_station_idx").on(t.stationId, t.timestamp),
    index("board_records_batch_idx").on(t.batchId, t.timestamp),
    index("board_records_mac_idx").on(t.mac),
    index("board_records_status_idx").on(t.status, t.timestamp),
  ],
);

/** One row per batch report (the JSON file `factory flash` writes), keyed by its batch ids. */
export const boardBatchReports = pgTable(
  "board_batch_reports",
  {
    reportId: text("report_id").primaryKey(),
    generatedAt: text("generated_at").notNull(),
    batchIds: jsonb("batch_ids").$type<string[]>().notNull(),
    aborted: boolean("aborted"),
    devices: integer("devices").notNull(),
    passed: integer("passed").notNull(),
    failed: integer("failed").notNull(),
    document: jsonb("document").$type<Record<string, unknown>>().notNull(),
    fingerprint: text("fingerprint").notNull(),
    sentBy: text("sent_by").notNull(),
    receivedAt: ts("received_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
  },
  (t) => [index("board_batch_reports_received_idx").on(t.receivedAt, t.reportId)],
);
