import { blob, index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import {
  auditIndexes,
  BOARD_RECORD_STATUSES,
  batchReportIndexes,
  boardRecordIndexes,
  debugLogIndexes,
  registrationIndexes,
  UNIT_STATUSES,
  unitIndexes,
} from "./schema-shared";

/** SQLite schema. Times are epoch milliseconds; JSON columns are text. */
export const units = sqliteTable(
  "units",
  {
    mac: text("mac").primaryKey(),
    serial: text("serial"),
    status: text("status", { enum: UNIT_STATUSES }).notNull(),
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
  (t) => unitIndexes(index, t),
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
  (t) => registrationIndexes(index, t),
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
  (t) => debugLogIndexes(index, t),
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
  (t) => auditIndexes(index, t),
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
    status: text("status", { enum: BOARD_RECORD_STATUSES }).notNull(),
    cells: text("cells", { mode: "json" }).$type<Record<string, string>>().notNull(),
    sentBy: text("sent_by").notNull(),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => boardRecordIndexes(index, t),
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
  (t) => batchReportIndexes(index, t),
);
