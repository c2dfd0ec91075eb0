import { describe, expect, it } from "vitest";
import { isFactoryError } from "./errors";
import { normalizeMac, tryNormalizeMac } from "./mac";

describe("normalizeMac", () => {
  it.each([
    ["AA:BB:CC:DD:EE:0F", "aa:bb:cc:dd:ee:0f"],
    ["aa-bb-cc-dd-ee-0f", "aa:bb:cc:dd:ee:0f"],
    ["aabb.ccdd.ee0f", "aa:bb:cc:dd:ee:0f"],
    ["aabbcc-ddee0f", "aa:bb:cc:dd:ee:0f"],
    ["AABBCCDDEE0F", "aa:bb:cc:dd:ee:0f"],
    ["  aa:bb:cc:dd:ee:0f\n", "aa:bb:cc:dd:ee:0f"],
  ])("%j → %s", (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });

  it.each([
    "",
    "aa:bb:cc:dd:ee",
    "aa:bb:cc:dd:ee:ff:00",
    "aa:bb-cc:dd:ee:ff",
    "gg:bb:cc:dd:ee:ff",
    "00:00:00:00:00:00",
    "ff:ff:ff:ff:ff:ff",
    "aabb.ccdd-eeff",
  ])("rejects %j", (input) => {
    expect(tryNormalizeMac(input)).toBeUndefined();
    try {
      normalizeMac(input);
      expect.unreachable();
    } catch (e) {
      expect(isFactoryError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });

  it("rejects non-strings", () => {
    expect(tryNormalizeMac(42)).toBeUndefined();
    expect(tryNormalizeMac(null)).toBeUndefined();
  });
});
