import type { UnitCredentials, UnitReport, UnitStatus } from "@factory/core";
import { type MasterKey, openUnitSecret, sealUnitSecret } from "../crypto/envelope";
import { transition } from "./shared";
import type { TimeCodec } from "./time-codec";

/**
 * Whether a report is written over the stored unit: true when it is new, false when it is the
 * stored report again (an absorbed retry). Throws `INVALID_TRANSITION` when the unit already has
 * a different report or is in a status that takes none (only `building` and `stuck` do).
 */
export function reportIsNew(
  existing: { status: UnitStatus; reportFingerprint: string | null } | undefined,
  mac: string,
  fingerprint: string,
  status: UnitReport["status"],
): boolean {
  if (existing?.reportFingerprint != null) {
    if (existing.reportFingerprint === fingerprint) return false;
    throw transition(mac, existing.status, status);
  }
  if (existing && existing.status !== "building" && existing.status !== "stuck") {
    throw transition(mac, existing.status, status);
  }
  return true;
}

/** The `units` columns a report sets (failure details only on a failed report); `t` is now. */
export function reportValues<T>(report: UnitReport, fingerprint: string, t: T, time: TimeCodec<T>) {
  return {
    status: report.status,
    serial: report.serial ?? null,
    buildTime: report.buildTime === undefined ? null : time.toDb(report.buildTime),
    buildDurationSeconds: report.buildDurationSeconds ?? null,
    testResults: report.testResults ?? null,
    failedTests: report.status === "failed" ? (report.failedTests ?? null) : null,
    errorLog: report.status === "failed" ? (report.errorLog ?? null) : null,
    diagnosticData: report.status === "failed" ? (report.diagnosticData ?? null) : null,
    updatedAt: t,
    labelPrints: 0,
    reportFingerprint: fingerprint,
  };
}

/** The `unit_credentials` row of a ready unit: its passwords sealed under a fresh per-unit key. */
export function sealCredentials(master: MasterKey, mac: string, credentials: UnitCredentials) {
  return { mac, ...sealUnitSecret(master, mac, Buffer.from(JSON.stringify(credentials))) };
}

/** Opens a `unit_credentials` row; the plaintext buffer is zeroed once parsed. */
export function openCredentials(
  master: MasterKey,
  mac: string,
  row: { wrappedKey: Buffer; sealed: Buffer },
): UnitCredentials {
  const plain = openUnitSecret(master, mac, row.wrappedKey, row.sealed);
  try {
    return JSON.parse(plain.toString("utf8")) as UnitCredentials;
  } finally {
    plain.fill(0);
  }
}
