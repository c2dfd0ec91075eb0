import { describe, expect, it } from "vitest";
import { isFactoryError } from "../errors";
import { uniformIndex } from "./random";

/** A source that hands out the scripted 32-bit words in order and records how many it gave. */
function scripted(values: number[]) {
  const queue = [...values];
  const source = (words: Uint32Array) => {
    const next = queue.shift();
    if (next === undefined) throw new Error("scripted source exhausted");
    words[0] = next;
  };
  return { source, remaining: () => queue.length };
}

describe("uniformIndex", () => {
  it("rejects words in the biased tail instead of reducing them modulo n", () => {
    // 2^32 mod 3 = 1, so 0xffffffff is the one word a modulo reduction would map to 0 unfairly.
    const s = scripted([0xffffffff, 7]);
    expect(uniformIndex(3, s.source)).toBe(1);
    expect(s.remaining()).toBe(0);
  });

  it("accepts the last word below the limit", () => {
    // limit for n = 3 is 0xffffffff; 0xfffffffe is accepted and reduces to 0xfffffffe % 3 = 2.
    const s = scripted([0xfffffffe]);
    expect(uniformIndex(3, s.source)).toBe(0xfffffffe % 3);
  });

  it("rejects every word at or above the largest multiple of n", () => {
    const n = 1_000_000_007;
    const limit = 2 ** 32 - (2 ** 32 % n);
    const s = scripted([limit, limit + 1, 2 ** 32 - 1, limit - 1]);
    expect(uniformIndex(n, s.source)).toBe((limit - 1) % n);
    expect(s.remaining()).toBe(0);
  });

  it("never rejects when n divides 2^32", () => {
    const s = scripted([0xffffffff]);
    expect(uniformIndex(256, s.source)).toBe(255);
  });

  it("refuses ranges it cannot serve", () => {
    for (const n of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) {
      expect(() => uniformIndex(n)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
    try {
      uniformIndex(0);
    } catch (e) {
      expect(isFactoryError(e, "INVALID_ARGUMENT")).toBe(true);
    }
  });

  it("spreads values evenly over a range that does not divide 2^32 (chi-square)", () => {
    const n = 7;
    const draws = 70_000;
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < draws; i++) counts[uniformIndex(n)]! += 1;
    const expected = draws / n;
    const chi2 = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // df = 6: P(chi2 > 35) < 1e-5.
    expect(chi2).toBeLessThan(35);
  });
});
