import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TEST_DATA } from "./test-data";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "test-data");

describe("committed .snmprec data sets", () => {
  for (const [name, text] of Object.entries(TEST_DATA)) {
    it(`${name}.snmprec matches its definition (regenerate with scripts/write-test-data.ts)`, () => {
      expect(readFileSync(path.join(dir, `${name}.snmprec`), "utf8")).toBe(text);
    });
  }

  it("rows are sorted by OID and well formed", () => {
    const lines = TEST_DATA["procurve-2810-qbridge"]!.trim().split("\n");
    for (const l of lines) expect(l).toMatch(/^[\d.]+\|(\d+x?|:sql)\|/);
    const oids = lines.map((l) => l.split("|")[0]!.split(".").map(Number));
    for (let i = 1; i < oids.length; i++) {
      const a = oids[i - 1]!;
      const b = oids[i]!;
      const k = a.findIndex((x, j) => x !== b[j]);
      expect(k === -1 ? a.length < b.length : a[k]! < (b[k] ?? -1)).toBe(true);
    }
  });
});
