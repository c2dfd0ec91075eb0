import { createHash } from "node:crypto";
import {
  validDate as checkDate,
  type DeviceRegistration,
  normaliseRegistration,
  normalizeMac,
  stableJson,
  type UnitReport,
  unitStoreErrors,
  validateUnitReport,
} from "@factory/core";

export const PKG = "server";

/** The unit-store errors (`INVALID_ARGUMENT`, `NOT_FOUND`, …) with this package's name. */
export const { invalid, notFound, transition, keyConflict, registrationConflict } = unitStoreErrors(PKG);

/** SHA-256 (base64url) of the value's {@link stableJson}: equal content, equal fingerprint. */
export function fingerprint(value: unknown): string {
  return createHash("sha256").update(stableJson(value)).digest("base64url");
}

export function validDate(value: unknown, field: string): Date {
  return checkDate(value, field, PKG);
}

/** Checks a report's invariants and returns it with the MAC normalised plus its fingerprint. */
export function prepareReport(report: UnitReport): { report: UnitReport; mac: string; fingerprint: string } {
  const mac = normalizeMac(report.mac);
  validateUnitReport(report, PKG);
  const normalised = { ...report, mac };
  return { report: normalised, mac, fingerprint: fingerprint(normalised) };
}

/** Checks a registration and returns it normalised, with its fingerprint and its secrets to seal. */
export function prepareRegistration(r: Omit<DeviceRegistration, "createdAt">) {
  const reg = normaliseRegistration(r, PKG);
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
