import type { DeviceRegistration, UnitReport } from "../contracts/unit-store";
import { createError, ErrorCodes } from "../errors";
import { normalizeMac } from "../mac";

/** Returns `value` when it is a valid Date, else throws `INVALID_ARGUMENT` naming `field`. */
export function validDate(value: unknown, field: string, pkg: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime()))
    throw createError(pkg, ErrorCodes.INVALID_ARGUMENT, `${field} must be a valid date`);
  return value;
}

/**
 * Checks a final report against the {@link UnitStore} contract: a `ready` report carries a serial
 * and both passwords, the status is `ready` or `failed`, a `buildTime` is a valid date.
 * Throws `INVALID_ARGUMENT` (prefixed with `pkg`); the MAC is checked by `normalizeMac`.
 */
export function validateUnitReport(report: UnitReport, pkg: string): void {
  const invalid = (message: string) => createError(pkg, ErrorCodes.INVALID_ARGUMENT, message);
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
  if (report.buildTime !== undefined) validDate(report.buildTime, "buildTime", pkg);
}

/**
 * Checks a device registration's required fields (`deviceId`, `uniqueId`, `boardType`) and
 * returns it with its MAC normalised. Throws `INVALID_ARGUMENT` (prefixed with `pkg`).
 */
export function normaliseRegistration<R extends Omit<DeviceRegistration, "createdAt">>(r: R, pkg: string): R {
  const invalid = (message: string) => createError(pkg, ErrorCodes.INVALID_ARGUMENT, message);
  if (typeof r.deviceId !== "string" || r.deviceId === "") throw invalid("deviceId is required");
  if (typeof r.uniqueId !== "string" || r.uniqueId === "") throw invalid("uniqueId is required");
  if (typeof r.boardType !== "string" || r.boardType === "") throw invalid("boardType is required");
  return { ...r, ...(r.mac !== undefined && { mac: normalizeMac(r.mac) }) };
}
