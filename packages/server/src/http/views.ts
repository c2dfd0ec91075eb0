import type { BatchSummary, DeviceRegistration, Unit } from "@factory/core";

const iso = (d: Date | undefined) => d?.toISOString();

/** A unit as the API returns it (snake_case like the seed; never credentials). */
export function unitJson(u: Unit) {
  return {
    mac_wan: u.mac,
    serial: u.serial,
    status: u.status,
    stage: u.stage,
    port: u.port,
    build_time: iso(u.buildTime),
    build_duration_seconds: u.buildDurationSeconds,
    test_results: u.testResults,
    failed_tests: u.failedTests,
    error_log: u.errorLog,
    diagnostic_data: u.diagnosticData,
    last_heartbeat: iso(u.lastHeartbeat),
    created_at: iso(u.createdAt),
    updated_at: iso(u.updatedAt),
    labeled_at: iso(u.labeledAt),
    reprints: u.reprints,
    has_credentials: u.hasCredentials,
  };
}

export function registrationJson(r: DeviceRegistration) {
  return {
    device_id: r.deviceId,
    unique_id: r.uniqueId,
    mac: r.mac,
    board_type: r.boardType,
    station_id: r.stationId,
    batch_id: r.batchId,
    firmware_version: r.firmwareVersion,
    created_at: iso(r.createdAt),
  };
}

export function batchJson(b: BatchSummary) {
  return {
    batch_id: b.batchId,
    station_id: b.stationId,
    started_at: iso(b.startedAt),
    finished_at: iso(b.finishedAt),
    total: b.total,
    passed: b.passed,
    failed: b.failed,
  };
}
