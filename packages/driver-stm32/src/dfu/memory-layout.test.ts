import { describe, expect, it } from "vitest";
import { dfuMemoryToLayout, formatDfuMemoryLayout, parseDfuMemoryLayout } from "./memory-layout";

describe("DfuSe memory layout strings", () => {
  it("parses the F4 internal flash string into 4×16K, 1×64K, 7×128K, all rew", () => {
    const m = parseDfuMemoryLayout("@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg");
    expect(m.name).toBe("Internal Flash");
    expect(m.segments.map((s) => [s.start, s.count, s.sectorSize])).toEqual([
      [0x0800_0000, 4, 16384],
      [0x0801_0000, 1, 65536],
      [0x0802_0000, 7, 131072],
    ]);
    expect(m.segments.every((s) => s.readable && s.erasable && s.writable)).toBe(true);
    const layout = dfuMemoryToLayout(m);
    expect(layout.size).toBe(1024 * 1024);
    expect(layout.sectors).toHaveLength(12);
    expect(layout.sectors[5]).toEqual({ index: 5, start: 0x0802_0000, size: 131072 });
  });

  it("takes a space in place of the unit and decodes the type letter bits", () => {
    const ob = parseDfuMemoryLayout("@Option Bytes  /0x1FFFC000/01*016 g");
    expect(ob.segments[0]).toMatchObject({ start: 0x1fff_c000, count: 1, sectorSize: 16 });
    const otp = parseDfuMemoryLayout("@OTP Memory /0x1FFF7800/01*512 g,01*016 g");
    expect(otp.segments.map((s) => [s.start, s.sectorSize])).toEqual([
      [0x1fff_7800, 512],
      [0x1fff_7a00, 16],
    ]);
    const ro = parseDfuMemoryLayout("@Boot/0x1FFF0000/01*030Ka,02*001Md");
    expect(ro.segments[0]).toMatchObject({
      readable: true,
      erasable: false,
      writable: false,
      sectorSize: 30 * 1024,
    });
    expect(ro.segments[1]).toMatchObject({
      readable: false,
      erasable: false,
      writable: true,
      sectorSize: 1024 * 1024,
    });
  });

  it("reads several /0x<start>/ blocks", () => {
    const m = parseDfuMemoryLayout("@Flash/0x08000000/02*02Kg/0x08100000/01*04Ka");
    expect(m.segments.map((s) => s.start)).toEqual([0x0800_0000, 0x0810_0000]);
  });

  it("rejects malformed strings with PROTOCOL_ERROR", () => {
    for (const bad of [
      "Internal Flash/0x08000000/04*016Kg",
      "@x/08000000/04*016Kg",
      "@x/0x08000000/04x016Kg",
      "@x/0x08000000/04*016Kz",
      "@x",
      "@x/0x0/00*016Kg",
    ]) {
      expect(() => parseDfuMemoryLayout(bad), bad).toThrow(
        expect.objectContaining({ code: "PROTOCOL_ERROR" }),
      );
    }
  });

  it("formats back to the form ST bootloaders send", () => {
    const text = "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg";
    expect(formatDfuMemoryLayout(parseDfuMemoryLayout(text))).toBe(
      "@Internal Flash/0x08000000/04*016Kg,01*064Kg,07*128Kg",
    );
  });
});
