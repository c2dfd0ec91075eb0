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

const bytea = customType<{ data: Buffer }>({ dataType: () => "bytea" });
const ts = (name: string) => timestamp(name, { withTimezone: true, mode: "date", precision: 3 });

/** PostgreSQL schema: the same tables as SQLite with native types. */
export const units = pgTable(
  "units",
  {
    mac: text("mac").primaryKey(),
    serial: text("serial"),
    status: text("status", { enum: UNIT_STATUSES }).notNull(),
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
  (t) => unitIndexes(index, t),
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
  (t) => registrationIndexes(index, t),
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
  (t) => debugLogIndexes(index, t),
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
  (t) => auditIndexes(index, t),
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
    status: text("status", { enum: BOARD_RECORD_STATUSES }).notNull(),
    cells: jsonb("cells").$type<Record<string, string>>().notNull(),
    sentBy: text("sent_by").notNull(),
    receivedAt: ts("received_at").notNull(),
  },
  (t) => boardRecordIndexes(index, t),
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
  (t) => batchReportIndexes(index, t),
);
