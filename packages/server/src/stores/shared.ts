import { createHash } from "node:crypto";
import {
  createError,
  type DeviceRegistration,
  ErrorCodes,
  type Metrics,
  normalizeMac,
  type UnitReport,
} from "@factory/core";

export const PKG = "server";

/** JSON with object keys sorted, so equal content always gives equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

export function fingerprint(value: unknown): string {
  return createHash("sha256").update(stableJson(value)).digest("base64url");
}

export function invalid(message: string, details?: Record<string, unknown>) {
  return createError(PKG, ErrorCodes.INVALID_ARGUMENT, message, details ? { details } : undefined);
}

export function notFound(mac: string) {
  return createError(PKG, ErrorCodes.NOT_FOUND, `No unit with MAC ${mac}`, { details: { mac } });
}

export function transition(mac: string, from: string, to: string) {
  return createError(PKG, ErrorCodes.INVALID_TRANSITION, `Unit ${mac} is ${from}; it cannot go to ${to}`, {
    details: { mac, from, to },
  });
}

export function keyConflict(mac: string) {
  return createError(PKG, ErrorCodes.CONFLICT, "This idempotency key was used for a different report", {
    details: { mac },
  });
}

export function registrationConflict(deviceId: string) {
  return createError(
    PKG,
    ErrorCodes.CONFLICT,
    `Device ${deviceId} is already registered with different data`,
    {
      details: { deviceId },
    },
  );
}

export function validDate(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw invalid(`${field} must be a valid date`);
  return value;
}

/** Checks a report's invariants and returns it with the MAC normalised plus its fingerprint. */
export function prepareReport(report: UnitReport): { report: UnitReport; mac: string; fingerprint: string } {
  const mac = normalizeMac(report.mac);
  if (report.status === "ready") {
    if (typeof report.serial !== "string" || report.serial === "")
      throw invalid("A ready report needs a serial");
    const c = report.credentials;
    if (!c || typeof c.adminPassword !== "string" || typeof c.servicesPassword !== "string") {
      throw invalid("A ready report needs adminPassword and servicesPassword");
    }
  } else if (report.status !== "failed") {
    throw invalid(`Report status must be "ready" or "failed"`);
  }
  if (report.buildTime !== undefined) validDate(report.buildTime, "buildTime");
  const normalised = { ...report, mac };
  return { report: normalised, mac, fingerprint: fingerprint(normalised) };
}

export function prepareRegistration(r: Omit<DeviceRegistration, "createdAt">) {
  if (typeof r.deviceId !== "string" || r.deviceId === "") throw invalid("deviceId is required");
  if (typeof r.uniqueId !== "string" || r.uniqueId === "") throw invalid("uniqueId is required");
  if (typeof r.boardType !== "string" || r.boardType === "") throw invalid("boardType is required");
  const reg = { ...r, ...(r.mac !== undefined && { mac: normalizeMac(r.mac) }) };
  const secrets =
    r.deviceSecret !== undefined || r.provisioningToken !== undefined
      ? Buffer.from(JSON.stringify({ deviceSecret: r.deviceSecret, provisioningToken: r.provisioningToken }))
      : undefined;
  return { reg, fingerprint: fingerprint(reg), secrets };
}

/** Drops undefined/null fields so store rows map onto optional properties. */
export function defined<T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  // A plain loop: this runs for every unit a store returns, heartbeats included.
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const v = o[k];
    if (v !== null && v !== undefined) out[k] = v;
  }
  return out as { [K in keyof T]: Exclude<T[K], null> };
}

export interface MetricRow {
  status: string;
  buildTime: Date;
  buildDurationSeconds: number | null;
  failedTests: string[] | null;
  labelPrints: number;
}

/** The seed's quality metrics from the rows whose build time lies in range. */
export function computeMetrics(rows: MetricRow[]): Metrics {
  const days = new Map<string, { success: number; failed: number }>();
  let durationSum = 0;
  let durationCount = 0;
  const failedTests = new Map<string, number>();
  let reprints = 0;
  for (const u of rows) {
    const ok = u.status === "ready" || u.status === "labeled";
    if (!ok && u.status !== "failed") continue;
    const day = u.buildTime.toISOString().slice(0, 10);
    const d = days.get(day) ?? { success: 0, failed: 0 };
    if (ok) d.success += 1;
    else d.failed += 1;
    days.set(day, d);
    if (ok && u.buildDurationSeconds !== null) {
      durationSum += u.buildDurationSeconds;
      durationCount += 1;
    }
    for (const t of u.failedTests ?? []) failedTests.set(t, (failedTests.get(t) ?? 0) + 1);
    reprints += Math.max(0, u.labelPrints - 1);
  }
  return {
    successRateByDay: [...days.entries()]
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([date, d]) => ({
        date,
        ...d,
        successRate: Math.round((10000 * d.success) / (d.success + d.failed)) / 100,
      })),
    averageBuildDurationSeconds: durationCount === 0 ? null : durationSum / durationCount,
    commonFailedTests: [...failedTests.entries()]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([test, count]) => ({ test, count })),
    reprints,
  };
}
