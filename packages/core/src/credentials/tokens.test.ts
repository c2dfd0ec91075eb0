import { describe, expect, it } from "vitest";
import { generateDeviceCredentials } from "./device-credentials";
import { passwordWords } from "./password";
import { codeOf } from "./test-support";
import {
  constantTimeEqual,
  generateDeviceId,
  generateDeviceSecret,
  generateProvisioningToken,
  generateSerial,
  isProvisioningToken,
} from "./tokens";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Chi-square of the 16 hex digit values at every random position of many draws. */
function hexChiSquare(values: string[]): number {
  const counts = new Array<number>(16).fill(0);
  for (const v of values) for (const ch of v) counts[Number.parseInt(ch, 16)]! += 1;
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.reduce((s, c) => s + (c - total / 16) ** 2 / (total / 16), 0);
}

describe("generateSerial", () => {
  it("returns distinct version 4 UUIDs", () => {
    const serials = Array.from({ length: 10_000 }, generateSerial);
    for (const s of serials) expect(s).toMatch(UUID_V4);
    expect(new Set(serials).size).toBe(serials.length);
  });
});

describe("generateDeviceSecret", () => {
  it("carries 256 random bits in base64url by default", () => {
    const secret = generateDeviceSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, "base64url")).toHaveLength(32);
  });

  it("supports base32 and other sizes of at least 128 bits", () => {
    expect(generateDeviceSecret({ bytes: 16, encoding: "base32" })).toMatch(/^[a-z2-7]{26}$/);
    expect(generateDeviceSecret({ bytes: 64 })).toHaveLength(86);
    for (const bytes of [0, 8, 15, 65, 1.5]) {
      expect(codeOf(() => generateDeviceSecret({ bytes }))).toBe("INVALID_ARGUMENT");
    }
    expect(codeOf(() => generateDeviceSecret({ encoding: "hex" as "base32" }))).toBe("INVALID_ARGUMENT");
  });

  it("is unique and evenly spread over many draws", () => {
    const secrets = Array.from({ length: 5000 }, () => generateDeviceSecret());
    expect(new Set(secrets).size).toBe(secrets.length);
    const hex = secrets.map((s) => Buffer.from(s, "base64url").toString("hex"));
    // df = 15: P(chi2 > 52) < 1e-5, the bound the other draws use (45 failed one run in 13,000);
    // a constant or low-entropy source fails by a wide margin.
    expect(hexChiSquare(hex)).toBeLessThan(52);
  });
});

describe("generateProvisioningToken", () => {
  it("is pt_ and 160 bits of lower-case base32, unique over many draws", () => {
    const tokens = Array.from({ length: 10_000 }, generateProvisioningToken);
    for (const t of tokens) {
      expect(t).toMatch(/^pt_[a-z2-7]{32}$/);
      expect(isProvisioningToken(t)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
    // Each base32 character carries 5 bits: all 32 symbols appear about equally often.
    const counts = new Map<string, number>();
    for (const t of tokens) for (const ch of t.slice(3)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    const e = (tokens.length * 32) / 32;
    const chi2 = [...counts.values()].reduce((s, c) => s + (c - e) ** 2 / e, 0);
    // df = 31: P(chi2 > 80) < 1e-5.
    expect(chi2).toBeLessThan(80);
  });

  it("recognises only well-formed tokens", () => {
    expect(isProvisioningToken("pt_abc")).toBe(false);
    expect(isProvisioningToken(`PT_${"a".repeat(32)}`)).toBe(false);
    expect(isProvisioningToken(`pt_${"1".repeat(32)}`)).toBe(false);
    expect(isProvisioningToken(42)).toBe(false);
  });
});

describe("generateDeviceId", () => {
  it("derives the ID from the hardware id, so the same board always gets the same ID", () => {
    expect(generateDeviceId({ prefix: "esp32", uniqueId: "AA:BB:CC:DD:EE:FF" })).toBe("esp32-aabbccddeeff");
    expect(generateDeviceId({ prefix: "stm32", uniqueId: "0039-0041-3338510a-32383930" })).toBe(
      "stm32-003900413338510a32383930",
    );
  });

  it("uses 80 random bits without a hardware id", () => {
    const ids = Array.from({ length: 2000 }, () => generateDeviceId({ prefix: "appliance" }));
    for (const id of ids) expect(id).toMatch(/^appliance-[a-z2-7]{16}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("refuses prefixes and ids that would make ambiguous or unsafe IDs", () => {
    for (const prefix of ["", "-esp", "esp 32", "esp/32", "a".repeat(33), "ésp"]) {
      expect(codeOf(() => generateDeviceId({ prefix }))).toBe("INVALID_ARGUMENT");
    }
    for (const uniqueId of ["", "abc", "zz:zz:zz", "aa bb cc dd"]) {
      expect(codeOf(() => generateDeviceId({ prefix: "esp32", uniqueId }))).toBe("INVALID_ARGUMENT");
    }
  });
});

describe("constantTimeEqual", () => {
  it("compares strings and bytes of any length", () => {
    const t = generateProvisioningToken();
    expect(constantTimeEqual(t, `${t}`)).toBe(true);
    // Change the last character to one it is not (a token may itself end in "x").
    const other = t.endsWith("x") ? "y" : "x";
    expect(constantTimeEqual(t, `${t.slice(0, -1)}${other}`)).toBe(false);
    expect(constantTimeEqual(t, t.slice(0, -1))).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
  });
});

describe("generateDeviceCredentials", () => {
  it("bundles a fresh ID, serial, secret, token and the named passwords", () => {
    const a = generateDeviceCredentials({
      prefix: "esp32",
      uniqueId: "aa:bb:cc:00:11:22",
      passwords: ["admin", "services"],
    });
    const b = generateDeviceCredentials({
      prefix: "esp32",
      uniqueId: "aa:bb:cc:00:11:22",
      passwords: ["admin", "services"],
    });
    expect(a.deviceId).toBe("esp32-aabbcc001122");
    expect(b.deviceId).toBe(a.deviceId);
    expect(a.serial).toMatch(UUID_V4);
    expect(isProvisioningToken(a.provisioningToken)).toBe(true);
    expect(Object.keys(a.passwords).sort()).toEqual(["admin", "services"]);
    expect(passwordWords(a.passwords.admin)).toHaveLength(4);
    for (const key of ["serial", "deviceSecret", "provisioningToken"] as const)
      expect(a[key]).not.toBe(b[key]);
    expect(a.passwords.admin).not.toBe(a.passwords.services);
  });

  it("refuses duplicate password names", () => {
    expect(codeOf(() => generateDeviceCredentials({ prefix: "x1", passwords: ["admin", "admin"] }))).toBe(
      "INVALID_ARGUMENT",
    );
  });
});
