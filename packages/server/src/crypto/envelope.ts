import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createError, ErrorCodes } from "@factory/core";

const VERSION = 1;
const IV = 12;
const TAG = 16;

/** A 32-byte AES-256 key that wraps every per-unit key. Never logged, never stored in the database. */
export interface MasterKey {
  readonly bytes: Buffer;
}

/**
 * Parses a master key given as 64 hex digits or base64 of 32 bytes (from config or the
 * `FACTORY_MASTER_KEY` environment variable). Rejects anything else with `CONFIG_INVALID`.
 */
export function parseMasterKey(text: string): MasterKey {
  const trimmed = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, "hex");
  else if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(trimmed)) bytes = Buffer.from(trimmed, "base64");
  if (bytes?.length !== 32) {
    throw createError(
      "server",
      ErrorCodes.CONFIG_INVALID,
      "The master key must be 32 bytes, as 64 hex digits or base64",
    );
  }
  return { bytes };
}

/** A new random master key (for first start with embedded defaults). */
export function generateMasterKey(): MasterKey {
  return { bytes: randomBytes(32) };
}

/** AES-256-GCM: `version | iv | tag | ciphertext`, authenticated with `aad`. */
export function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), ct]);
}

/** Opens what {@link seal} produced; a wrong key, wrong `aad` or tampered bytes reject `STORE_ERROR`. */
export function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < 1 + IV + TAG || sealed[0] !== VERSION) {
    throw createError("server", ErrorCodes.STORE_ERROR, "Stored secret has an unknown format");
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(1, 1 + IV));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(sealed.subarray(1 + IV, 1 + IV + TAG));
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV + TAG)), decipher.final()]);
  } catch (cause) {
    throw createError(
      "server",
      ErrorCodes.STORE_ERROR,
      "Stored secret cannot be decrypted (wrong master key?)",
      {
        cause,
      },
    );
  }
}

/**
 * Crypto-shredding: every unit gets its own random key; the passwords are sealed with it and the
 * key is sealed with the master key. Deleting the key row makes the passwords unreadable even
 * where old copies of the sealed bytes survive.
 */
export function sealUnitSecret(
  master: MasterKey,
  mac: string,
  plaintext: Buffer,
): { wrappedKey: Buffer; sealed: Buffer } {
  const unitKey = randomBytes(32);
  try {
    return {
      sealed: seal(unitKey, plaintext, `unit:${mac}`),
      wrappedKey: seal(master.bytes, unitKey, `unit-key:${mac}`),
    };
  } finally {
    unitKey.fill(0);
    plaintext.fill(0);
  }
}

export function openUnitSecret(master: MasterKey, mac: string, wrappedKey: Buffer, sealed: Buffer): Buffer {
  const unitKey = open(master.bytes, wrappedKey, `unit-key:${mac}`);
  try {
    return open(unitKey, sealed, `unit:${mac}`);
  } finally {
    unitKey.fill(0);
  }
}
