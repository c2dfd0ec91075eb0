import type { DeviceRecord } from "../contracts/records";
import { createError, ErrorCodes } from "../errors";
import { redactSecretText } from "./redact";

/**
 * Columns of `factory_records_YYYYMMDD.csv`, in order: the seed's device ID and MAC address,
 * board type and firmware version, flash time and station ID, test results and QR code, plus
 * what a technician needs to trace a unit (time, port, batch, status, attempts, error).
 */
export const CSV_RECORD_COLUMNS = [
  "timestamp",
  "device_id",
  "mac_address",
  "unique_id",
  "board_type",
  "chip",
  "firmware_version",
  "flash_time_seconds",
  "station_id",
  "port",
  "batch_id",
  "status",
  "attempts",
  "tests_passed",
  "tests_total",
  "test_results",
  "qr_code",
  "error_code",
  "error_message",
  "failed_step",
] as const;

export type CsvRecordColumn = (typeof CSV_RECORD_COLUMNS)[number];

function invalid(message: string): never {
  throw createError("core", ErrorCodes.INVALID_ARGUMENT, `Device record not written: ${message}`);
}

const text = (value: string | undefined): string => (value === undefined ? "" : redactSecretText(value));

/**
 * The CSV cells of one record, in {@link CSV_RECORD_COLUMNS} order. Only the listed fields are
 * read, so secrets attached to the object by mistake never reach the file, and free text is passed
 * through {@link redactSecretText}. Console output of tests is not recorded (it may hold secrets).
 * Throws `INVALID_ARGUMENT` for a record that is not well formed.
 */
export function recordToCells(record: DeviceRecord): string[] {
  if (typeof record !== "object" || record === null) invalid("not an object");
  if (!(record.timestamp instanceof Date) || Number.isNaN(record.timestamp.getTime())) {
    invalid("timestamp must be a valid Date");
  }
  for (const key of ["deviceId", "boardType", "port"] as const) {
    if (typeof record[key] !== "string") invalid(`${key} must be a string`);
  }
  if (record.status !== "passed" && record.status !== "failed") {
    invalid(`status must be "passed" or "failed", got ${JSON.stringify(record.status)}`);
  }
  if (!Number.isInteger(record.attempts) || record.attempts < 0) invalid("attempts must be an integer >= 0");
  if (!Array.isArray(record.tests)) invalid("tests must be an array");
  if (
    record.flashTimeSeconds !== undefined &&
    (typeof record.flashTimeSeconds !== "number" || !Number.isFinite(record.flashTimeSeconds))
  ) {
    invalid("flashTimeSeconds must be a finite number");
  }
  const tests = record.tests.map((t) => {
    if (typeof t?.name !== "string" || typeof t.passed !== "boolean")
      invalid("each test needs a name and passed");
    const out: Record<string, unknown> = { name: redactSecretText(t.name), passed: t.passed };
    if (Number.isFinite(t.durationMs)) out.durationMs = Math.round(t.durationMs);
    if (t.errorCode) out.errorCode = t.errorCode;
    return out;
  });
  const cells: Record<CsvRecordColumn, string> = {
    timestamp: record.timestamp.toISOString(),
    device_id: text(record.deviceId),
    mac_address: text(record.mac),
    unique_id: text(record.uniqueId),
    board_type: text(record.boardType),
    chip: text(record.chip),
    firmware_version: text(record.firmwareVersion),
    flash_time_seconds: record.flashTimeSeconds === undefined ? "" : String(record.flashTimeSeconds),
    station_id: text(record.stationId),
    port: text(record.port),
    batch_id: text(record.batchId),
    status: record.status,
    attempts: String(record.attempts),
    tests_passed: String(record.tests.filter((t) => t.passed).length),
    tests_total: String(record.tests.length),
    test_results: JSON.stringify(tests),
    qr_code: text(record.qrCode),
    error_code: text(record.errorCode),
    error_message: text(record.error),
    failed_step: text(record.failedStep),
  };
  return CSV_RECORD_COLUMNS.map((c) => cells[c]);
}
