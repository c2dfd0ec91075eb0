import type { DeviceRecord } from "../contracts/records";
import type { DeviceResult } from "./types";

/** Turns a pipeline result into the device record written to CSV and the store. Carries no secret. */
export function toDeviceRecord(
  result: DeviceResult,
  extra: {
    stationId?: string | undefined;
    batchId?: string | undefined;
    firmwareVersion?: string | undefined;
  } = {},
): DeviceRecord {
  const record: DeviceRecord = {
    timestamp: result.finishedAt,
    deviceId: result.deviceId ?? "",
    boardType: result.boardType,
    port: result.port.label ?? result.port.path,
    status: result.status === "passed" ? "passed" : "failed",
    attempts: result.attempts,
    tests: result.tests,
  };
  if (result.identity?.mac) record.mac = result.identity.mac;
  if (result.identity) {
    record.uniqueId = result.identity.uniqueId;
    record.chip = result.identity.chip;
  }
  if (extra.firmwareVersion) record.firmwareVersion = extra.firmwareVersion;
  if (extra.stationId) record.stationId = extra.stationId;
  if (extra.batchId) record.batchId = extra.batchId;
  if (result.flashTimeMs !== undefined) record.flashTimeSeconds = Math.round(result.flashTimeMs) / 1000;
  if (result.qrPayload) record.qrCode = result.qrPayload;
  if (result.error) {
    record.errorCode = result.error.code;
    record.error = result.error.message;
    if (result.error.step) record.failedStep = result.error.step;
  }
  return record;
}
