import { createError, ErrorCodes } from "./errors";

const HEX12 = /^[0-9a-f]{12}$/;

/**
 * Normalises a MAC address written in any of the usual spellings to lower-case
 * colon-separated `aa:bb:cc:dd:ee:ff`, the form every store keys units by.
 *
 * Accepted: `AA:BB:CC:DD:EE:FF`, `aa-bb-cc-dd-ee-ff`, `aabb.ccdd.eeff` (Cisco/ProCurve),
 * `aabbcc-ddeeff` (ProCurve CLI), `AABBCCDDEEFF`, surrounding whitespace.
 * Rejects anything else with `INVALID_ARGUMENT`, including the all-zero and broadcast addresses.
 *
 * @example
 * normalizeMac("AA-BB-CC-DD-EE-0F"); // "aa:bb:cc:dd:ee:0f"
 */
export function normalizeMac(input: string): string {
  const mac = tryNormalizeMac(input);
  if (mac === undefined) {
    const shown = typeof input === "string" ? JSON.stringify(input.slice(0, 40)) : typeof input;
    throw createError(
      "core",
      ErrorCodes.INVALID_ARGUMENT,
      `${shown} is not a MAC address (expected aa:bb:cc:dd:ee:ff)`,
      {
        details: { field: "mac" },
      },
    );
  }
  return mac;
}

/** Like {@link normalizeMac} but returns undefined instead of throwing. */
export function tryNormalizeMac(input: unknown): string | undefined {
  if (typeof input !== "string" || input.length > 32) return undefined;
  const trimmed = input.trim().toLowerCase();
  if (
    !/^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/.test(trimmed) &&
    !/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(trimmed) &&
    !/^[0-9a-f]{6}-[0-9a-f]{6}$/.test(trimmed)
  ) {
    return undefined;
  }
  const hex = trimmed.replace(/[:.-]/g, "");
  if (!HEX12.test(hex) || hex === "000000000000" || hex === "ffffffffffff") return undefined;
  return hex.match(/../g)!.join(":");
}
