import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import { createError, ErrorCodes } from "../errors";
import { base32, base64url } from "./encoding";
import { secureRandomBytes } from "./random";

function invalid(message: string): never {
  throw createError("core", ErrorCodes.INVALID_ARGUMENT, message);
}

/**
 * A device serial: a random (version 4) UUID, lower case, e.g. `a1b2c3d4-5678-40ab-8def-1234567890ab`.
 */
export function generateSerial(): string {
  return randomUUID();
}

/** Options of {@link generateDeviceSecret}. */
export interface DeviceSecretOptions {
  /** Random bytes, 16 to 64. Default 32 (256 bits). */
  bytes?: number;
  /** `base64url` (default, 43 characters for 32 bytes) or lower-case `base32` (52 characters). */
  encoding?: "base64url" | "base32";
}

/**
 * A per-device secret for the device to authenticate to the backend: at least 128 random bits
 * (256 by default) from the operating system's CSPRNG.
 */
export function generateDeviceSecret(options: DeviceSecretOptions = {}): string {
  const bytes = options.bytes ?? 32;
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 64) {
    invalid(`Device secret size must be 16 to 64 bytes (128 to 512 bits), got ${String(bytes)}`);
  }
  const encoding = options.encoding ?? "base64url";
  if (encoding !== "base64url" && encoding !== "base32") {
    invalid(`Device secret encoding must be base64url or base32, got ${String(encoding)}`);
  }
  const raw = secureRandomBytes(bytes);
  return encoding === "base32" ? base32(raw) : base64url(raw);
}

/** Prefix of every provisioning token, so logs and scanners can recognise (and redact) one. */
export const PROVISIONING_TOKEN_PREFIX = "pt_";
const TOKEN_BYTES = 20;
const TOKEN_PATTERN = /^pt_[a-z2-7]{32}$/;

/**
 * A one-time provisioning token: `pt_` followed by 160 random bits in lower-case base32
 * (32 characters, no 0/1/8/9, case-insensitive when typed). The backend stores it, accepts it
 * once to pair the device, then forgets it; compare with {@link constantTimeEqual}.
 */
export function generateProvisioningToken(): string {
  return PROVISIONING_TOKEN_PREFIX + base32(secureRandomBytes(TOKEN_BYTES));
}

/** True when `value` has the shape of a token from {@link generateProvisioningToken}. */
export function isProvisioningToken(value: unknown): value is string {
  return typeof value === "string" && TOKEN_PATTERN.test(value);
}

/** Options of {@link generateDeviceId}. */
export interface DeviceIdOptions {
  /** Board type or product code, 1 to 32 of `A–Z a–z 0–9 _ -`, starting with a letter or digit. */
  prefix: string;
  /**
   * The device's own identifier (MAC, 96-bit UID, flash id): hex digits, optionally separated by
   * `:`, `-` or `.`. When given the ID is derived from it, so the same board always gets the same
   * ID (registration stays idempotent across retries). When absent 80 random bits are used.
   */
  uniqueId?: string | undefined;
}

/**
 * A device ID: `<prefix>-<hex uniqueId>` (`esp32-aabbccddeeff`) or, without a unique id,
 * `<prefix>-<16 base32 characters>`.
 */
export function generateDeviceId(options: DeviceIdOptions): string {
  const { prefix, uniqueId } = options;
  if (typeof prefix !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(prefix)) {
    invalid(
      `Device ID prefix must be 1 to 32 of A-Z a-z 0-9 _ - (starting alphanumeric), got ${JSON.stringify(prefix)}`,
    );
  }
  if (uniqueId === undefined) return `${prefix}-${base32(secureRandomBytes(10))}`;
  const hex = typeof uniqueId === "string" ? uniqueId.replace(/[:.-]/g, "").toLowerCase() : "";
  if (!/^[0-9a-f]{4,64}$/.test(hex)) {
    invalid(
      `Device unique id must be 4 to 64 hex digits (":", "-", "." allowed between), got ${JSON.stringify(uniqueId)}`,
    );
  }
  return `${prefix}-${hex}`;
}

/**
 * Compares two secrets (tokens, passwords) in time independent of where they differ and of their
 * lengths: both are hashed with SHA-256 and the digests compared with `timingSafeEqual`.
 */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const da = createHash("sha256").update(a).digest();
  const db = createHash("sha256").update(b).digest();
  return timingSafeEqual(da, db);
}
