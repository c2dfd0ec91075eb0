import { randomUUID } from "node:crypto";
import {
  type AuditEvent,
  type BatchSummary,
  type DebugLog,
  type DeviceRegistration,
  normalizeMac,
} from "@factory/core";
import { type MasterKey, seal } from "../crypto/envelope";
import { defined, invalid, validDate } from "./shared";
import type { TimeCodec } from "./time-codec";

// Row ↔ record mapping of the tables besides `units`, the same in both dialects but for how a
// time is stored (see TimeCodec).

type Registration = Omit<DeviceRegistration, "createdAt">;

/** A `device_registrations` row as drizzle reads it in either dialect. */
export interface RegistrationRow<T> {
  deviceId: string;
  mac: string | null;
  uniqueId: string;
  boardType: string;
  stationId: string | null;
  batchId: string | null;
  firmwareVersion: string | null;
  createdAt: T;
}

export function toRegistration<T>(r: RegistrationRow<T>, time: TimeCodec<T>): DeviceRegistration {
  return {
    deviceId: r.deviceId,
    uniqueId: r.uniqueId,
    boardType: r.boardType,
    ...defined({
      mac: r.mac,
      stationId: r.stationId,
      batchId: r.batchId,
      firmwareVersion: r.firmwareVersion,
    }),
    createdAt: time.fromDb(r.createdAt),
  };
}

/** The secrets a caller passed with a registration, returned again when it repeats one. */
export function secretsOf(r: Registration): Partial<DeviceRegistration> {
  return defined({ deviceSecret: r.deviceSecret, provisioningToken: r.provisioningToken });
}

/** The columns of a new registration (see `prepareRegistration`), its secrets sealed with the master key. */
export function registrationValues<T>(
  p: { reg: Registration; fingerprint: string; secrets: Buffer | undefined },
  master: MasterKey,
  createdAt: T,
) {
  return {
    deviceId: p.reg.deviceId,
    mac: p.reg.mac ?? null,
    uniqueId: p.reg.uniqueId,
    boardType: p.reg.boardType,
    stationId: p.reg.stationId ?? null,
    batchId: p.reg.batchId ?? null,
    firmwareVersion: p.reg.firmwareVersion ?? null,
    sealedSecrets: p.secrets ? seal(master.bytes, p.secrets, `registration:${p.reg.deviceId}`) : null,
    fingerprint: p.fingerprint,
    createdAt,
  };
}

/** The columns of a batch summary besides its id (the id and the dates checked). */
export function batchValues<T>(batch: BatchSummary, time: TimeCodec<T>) {
  if (!batch.batchId) throw invalid("batchId is required");
  return {
    stationId: batch.stationId ?? null,
    startedAt: time.toDb(validDate(batch.startedAt, "startedAt")),
    finishedAt: batch.finishedAt ? time.toDb(validDate(batch.finishedAt, "finishedAt")) : null,
    total: batch.total,
    passed: batch.passed,
    failed: batch.failed,
  };
}

export function toBatch<T>(
  b: {
    batchId: string;
    stationId: string | null;
    startedAt: T;
    finishedAt: T | null;
    total: number;
    passed: number;
    failed: number;
  },
  time: TimeCodec<T>,
): BatchSummary {
  return {
    batchId: b.batchId,
    ...defined({
      stationId: b.stationId,
      finishedAt: b.finishedAt === null ? null : time.fromDb(b.finishedAt),
    }),
    startedAt: time.fromDb(b.startedAt),
    total: b.total,
    passed: b.passed,
    failed: b.failed,
  };
}

/** A new debug log of a unit, with a fresh random id and its own copy of the entries. */
export function newDebugLog(mac: string, collectedAt: Date, entries: Record<string, string>): DebugLog {
  return { id: randomUUID(), mac, collectedAt, entries: { ...entries } };
}

/** The `debug_logs` row of a log. */
export function debugLogValues<T>(log: DebugLog, time: TimeCodec<T>) {
  return { id: log.id, mac: log.mac, collectedAt: time.toDb(log.collectedAt), entries: log.entries };
}

export function toDebugLog<T>(
  l: { id: string; mac: string; collectedAt: T; entries: Record<string, string> },
  time: TimeCodec<T>,
): DebugLog {
  return { id: l.id, mac: l.mac, collectedAt: time.fromDb(l.collectedAt), entries: l.entries };
}

/** The columns of a new audit event (its time checked, its MAC normalised). */
export function auditValues<T>(event: AuditEvent, time: TimeCodec<T>) {
  return {
    at: time.toDb(validDate(event.at, "at")),
    actor: event.actor,
    action: event.action,
    mac: event.mac === undefined ? null : normalizeMac(event.mac),
    details: event.details ?? null,
  };
}

export function toAuditEvent<T>(
  e: {
    id: number;
    at: T;
    actor: string;
    action: string;
    mac: string | null;
    details: Record<string, unknown> | null;
  },
  time: TimeCodec<T>,
): AuditEvent {
  return {
    id: String(e.id),
    at: time.fromDb(e.at),
    actor: e.actor,
    action: e.action,
    ...defined({ mac: e.mac, details: e.details }),
  };
}
