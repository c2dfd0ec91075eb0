import { describe, expect, it } from "vitest";
import { defaultFate, defaultHeadStart } from "./build-floor";
import { BUILD_STAGES, demoTiming } from "./timing";

const BUILD = BUILD_STAGES.reduce((s, x) => s + x.seconds, 0);

describe("the floor met mid-shift (defaultHeadStart)", () => {
  const units = 20;
  const first = Array.from({ length: units }, (_, n) => defaultHeadStart(n, units));

  it("spreads the first round over the build: one fresh unit, no two alike, none already done", () => {
    expect(first.filter((h) => h === 0)).toHaveLength(1);
    expect(new Set(first.map((h) => h.toFixed(3))).size).toBe(units);
    for (const h of first) expect(h).toBeLessThan(0.95);
    // Neighbouring ports are at different points of the build, not a staircase.
    const steps = first.slice(1).map((h, i) => h - first[i]!);
    expect(steps.some((d) => d > 0) && steps.some((d) => d < 0)).toBe(true);
  });

  it("has three or four units through their build stages within 25 s at the default speed, one of them failing", () => {
    const timing = demoTiming();
    // Remaining build at the nominal durations, in real seconds.
    const soon = first
      .map((h, n) => ({ n, seconds: timing.scale((1 - h) * BUILD) / 1000 }))
      .filter((u) => u.seconds <= 25);
    expect(soon.length).toBeGreaterThanOrEqual(3);
    expect(soon.length).toBeLessThanOrEqual(4);
    const fates = soon.map((u) => defaultFate(u.n, units, () => 0.5).kind);
    expect(fates.filter((k) => k === "ready").length).toBeGreaterThanOrEqual(2);
    expect(fates).toContain("fail");
  });

  it("starts every later unit fresh", () => {
    expect(defaultHeadStart(units, units)).toBe(0);
    expect(defaultHeadStart(units + 7, units)).toBe(0);
  });
});
