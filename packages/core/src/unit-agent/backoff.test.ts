import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "./backoff";

describe("backoffDelayMs", () => {
  it("doubles from the base, caps at the maximum and keeps half of the step fixed", () => {
    const o = { baseMs: 1_000, maxMs: 60_000 };
    expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, o, () => 0))).toEqual([500, 1_000, 2_000, 4_000]);
    expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, o, () => 0.999_999))).toEqual([
      1_000, 2_000, 4_000, 8_000,
    ]);
    expect(backoffDelayMs(10, o, () => 0)).toBe(30_000);
    expect(backoffDelayMs(1_000, o, () => 0.5)).toBe(45_000);
  });

  it("spreads units that retry together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(4, { baseMs: 1_000 })));
    expect(delays.size).toBeGreaterThan(20);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(8_000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(16_000);
  });
});
