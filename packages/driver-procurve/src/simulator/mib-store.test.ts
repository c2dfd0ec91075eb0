import { describe, expect, it } from "vitest";
import { compareOid, Tag } from "./ber";
import { MibStore } from "./mib-store";

const int = (value: number) => ({ type: Tag.Integer, value }) as const;

/** Walks the whole store with next(), as a manager would. */
function walk(m: MibStore): string[] {
  const out: string[] = [];
  let cursor: readonly number[] = [0, 0];
  for (let e = m.next(cursor); e; e = m.next(cursor)) {
    out.push(e.oid.join("."));
    cursor = e.oid;
  }
  return out;
}

describe("MibStore", () => {
  it("keeps lexicographic order through inserts and deletes after the first read", () => {
    const m = new MibStore();
    const live = new Map<string, number[]>();
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const randomOid = (): number[] => [1, 3, 6, 1, ...Array.from({ length: 1 + rand(4) }, () => rand(12))];
    for (let i = 0; i < 200; i++) {
      const oid = randomOid();
      m.set(oid, int(i));
      live.set(oid.join("."), oid);
    }
    walk(m); // sorts once; everything after is incremental
    for (let i = 0; i < 2000; i++) {
      const oid = randomOid();
      if (rand(3) === 0) {
        m.delete(oid);
        live.delete(oid.join("."));
      } else {
        m.set(oid, int(i));
        live.set(oid.join("."), oid);
      }
      if (i % 250 === 0) {
        const expected = [...live.values()].sort(compareOid).map((o) => o.join("."));
        expect(walk(m)).toEqual(expected);
      }
    }
    expect(walk(m)).toEqual([...live.values()].sort(compareOid).map((o) => o.join(".")));
    expect(m.size).toBe(live.size);
  });

  it("replaces a value in place and reads dynamic values at request time", () => {
    const m = new MibStore();
    m.defineObject([1, 3, 6, 1, 2, 1, 1, 3]);
    let ticks = 5;
    m.set([1, 3, 6, 1, 2, 1, 1, 3, 0], () => ({ type: Tag.TimeTicks, value: ticks }));
    m.set([1, 3, 6, 1, 9], int(1));
    m.set([1, 3, 6, 1, 9], int(2));
    expect(m.get([1, 3, 6, 1, 9])).toEqual(int(2));
    expect(m.get([1, 3, 6, 1, 2, 1, 1, 3, 0])).toEqual({ type: Tag.TimeTicks, value: 5 });
    ticks = 9;
    expect(m.next([1, 3, 6, 1, 2])?.value).toEqual({ type: Tag.TimeTicks, value: 9 });
    expect(m.get([1, 3, 6, 1, 2, 1, 1, 3, 1])).toBe("noSuchInstance");
    expect(m.get([1, 3, 6, 1, 2, 1, 1, 4, 0])).toBe("noSuchObject");
    expect(m.next([1, 3, 6, 1, 9])).toBeUndefined();
  });
});
