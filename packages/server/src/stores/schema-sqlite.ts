import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** SQLite schema. Times are epoch milliseconds; JSON columns are text. */
export const units = sqliteTable(
  "units",
  {
    mac: text("mac").primaryKey(),
    serial: text("serial"),
    status: text("status", { enum: ["building", "ready", "failed", "stuck", "labeled"] }).notNull(),
    stage: text("stage"),
    port: text("port"),
    buildTime: integer("build_time"),
    buildDurationSeconds: integer("build_duration_seconds"),
    testResults: text("test_results", { mode: "json" }).$type<Record<string, string>>(),
    failedTests: text("failed_tests", { mode: "json" }).$type<string[]>(),
    errorLog: text("error_log"),
    diagnosticData: text("diagnostic_data"),
    lastHeartbeat: integer("last_heartbeat"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    labeledAt: integer("labeled_at"),
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

/** One row per unit holding credentials: the per-unit key (wrapped by the master key) and the sealed passwords. */
export const unitCredentials = sqliteTable("unit_credentials", {
  mac: text("mac")
    .primaryKey()
    .references(() => units.mac, { onDelete: "cascade" }),
  wrappedKey: blob("wrapped_key", { mode: "buffer" }).notNull(),
  sealed: blob("sealed", { mode: "buffer" }).notNull(),
});

export const idempotencyKeys = sqliteTable("idempotency_keys", {
  key: text("key").primaryKey(),
  mac: text("mac").notNull(),
  fingerprint: text("fingerprint").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const registrations = sqliteTable(
  "device_registrations",
  {
    deviceId: text("device_id").primaryKey(),
    mac: text("mac"),
    uniqueId: text("unique_id").notNull(),
    boardType: text("board_type").notNull(),
    stationId: text("station_id"),
    batchId: text("batch_id"),
    firmwareVersion: text("firmware_version"),
    sealedSecrets: blob("sealed_secrets", { mode: "buffer" }),
    fingerprint: text("fingerprint").notNull(),
    createdAt: integer("created_at").notNull(),
    seq: integer("seq").notNull(),
  },
  (t) => [index("registrations_batch_idx").on(t.batchId), index("registrations_station_idx").on(t.stationId)],
);

export const batches = sqliteTable("batches", {
  batchId: text("batch_id").primaryKey(),
  stationId: text("station_id"),
  startedAt: integer("started_at").notNull(),
  finishedAt: integer("finished_at"),
  total: integer("total").notNull(),
  passed: integer("passed").notNull(),
  failed: integer("failed").notNull(),
});

export const debugLogs = sqliteTable(
  "debug_logs",
  {
    id: text("id").primaryKey(),
    mac: text("mac")
      .notNull()
      .references(() => units.mac, { onDelete: "cascade" }),
    collectedAt: integer("collected_at").notNull(),
    entries: text("entries", { mode: "json" }).$type<Record<string, string>>().notNull(),
  },
  (t) => [index("debug_logs_mac_idx").on(t.mac)],
);

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    mac: text("mac"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_mac_idx").on(t.mac), index("audit_at_idx").on(t.at)],
);

/**
 * One row per board-line device record (a row of the seed's daily CSV). `record_id` is the
 * record's own hash, so a resend is absorbed by the primary key; `cells` keeps every CSV cell.
 */
export const boardRecords = sqliteTable(
  "board_records",
  {
    recordId: text("record_id").primaryKey(),
    timestamp: integer("timestamp").notNull(),
    stationId: text("station_id").notNull(),
    batchId: text("batch_id").notNull(),
    mac: text("mac"),
    status: text("status", { enum: ["passed", "failed"] }).notNull(),
    cells: text("cells", { mode: "json" }).$type<Record<string, string>>().notNull(),
    sentBy: text("sent_by").notNull(),
    receivedAt: integer("received_at").notNull(),
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
export const boardBatchReports = sqliteTable(
  "board_batch_reports",
  {
    reportId: text("report_id").primaryKey(),
    generatedAt: text("generated_at").notNull(),
    batchIds: text("batch_ids", { mode: "json" }).$type<string[]>().notNull(),
    aborted: integer("aborted", { mode: "boolean" }),
    devices: integer("devices").notNull(),
    passed: integer("passed").notNull(),
    failed: integer("failed").notNull(),
    document: text("document", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    fingerprint: text("fingerprint").notNull(),
    sentBy: text("sent_by").notNull(),
    receivedAt: integer("received_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("board_batch_reports_received_idx").on(t.receivedAt, t.reportId)],
);
