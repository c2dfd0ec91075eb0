import { describe, expect, it } from "vitest";
import { formatUid, partForPid, partLayout, partsForLayout, STM32_PARTS, uidWordAddresses } from "./families";
import { layoutFromSizes, sectorsTouching } from "./flash-layout";
import { findDuplicateIdentities, IdentityRegistry } from "./registry";

describe("STM32 part table", () => {
  it("has unique product IDs and layouts that fill each part's flash", () => {
    expect(new Set(STM32_PARTS.map((p) => p.pid)).size).toBe(STM32_PARTS.length);
    for (const part of STM32_PARTS) {
      const layout = partLayout(part);
      expect(layout.size, part.name).toBe(part.maxFlash);
      expect(layout.base).toBe(0x0800_0000);
    }
  });

  it("knows the F40x sectors, the F1 pages and the F4 UID address", () => {
    const f4 = partForPid(0x413)!;
    expect(f4.name).toBe("STM32F40x/41x");
    expect(partLayout(f4).sectors.map((s) => s.size / 1024)).toEqual([
      16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128,
    ]);
    expect(uidWordAddresses(f4)).toEqual([0x1fff_7a10, 0x1fff_7a14, 0x1fff_7a18]);
    const f1 = partForPid(0x410)!;
    expect(partLayout(f1).sectors).toHaveLength(128);
    expect(uidWordAddresses(f1)[0]).toBe(0x1fff_f7e8);
    expect(uidWordAddresses(partForPid(0x417)!)).toEqual([0x1ff8_0050, 0x1ff8_0054, 0x1ff8_0064]);
    expect(partForPid(0x999)).toBeUndefined();
  });

  it("narrows the layout to the flash-size register's value", () => {
    const f4 = partForPid(0x413)!;
    const half = partLayout(f4, 512 * 1024);
    expect(half.size).toBe(512 * 1024);
    expect(half.sectors).toHaveLength(8);
  });

  it("matches a DFU layout to parts", () => {
    const layout = layoutFromSizes(
      0x0800_0000,
      [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128].map((k) => k * 1024),
    );
    const names = partsForLayout(layout).map((p) => p.pid);
    expect(names).toContain(0x413);
    expect(names).not.toContain(0x410);
  });

  it("formats the UID as 24 hex digits, word 0 first", () => {
    expect(formatUid([0x00310040, 0x3236510a, 0x38313733])).toBe("003100403236510a38313733");
  });

  it("lists the sectors a range touches", () => {
    const layout = partLayout(partForPid(0x413)!);
    expect(sectorsTouching(layout, 0x0800_3ff0, 0x20).map((s) => s.index)).toEqual([0, 1]);
    expect(sectorsTouching(layout, 0x0801_0000, 1).map((s) => s.index)).toEqual([4]);
  });
});

describe("duplicate identities", () => {
  it("refuses a second port with the same unique ID and frees it on release", () => {
    const registry = new IdentityRegistry();
    registry.claim("aa", "/dev/ttyA");
    registry.claim("aa", "/dev/ttyA");
    expect(() => registry.claim("aa", "/dev/ttyB")).toThrow(
      expect.objectContaining({ code: "DUPLICATE_IDENTITY" }),
    );
    registry.release("/dev/ttyA");
    registry.claim("aa", "/dev/ttyB");
    expect(registry.holder("aa")).toBe("/dev/ttyB");
  });

  it("groups duplicates from a scan", () => {
    expect(
      findDuplicateIdentities([
        { port: "a", uniqueId: "1" },
        { port: "b", uniqueId: "2" },
        { port: "c", uniqueId: "1" },
      ]),
    ).toEqual([{ uniqueId: "1", ports: ["a", "c"] }]);
  });
});
