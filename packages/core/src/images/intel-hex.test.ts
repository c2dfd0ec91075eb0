import { describe, expect, it } from "vitest";
import { hexToImage } from "./flat-image";
import { parseIntelHex } from "./intel-hex";
import { toIntelHex } from "./intel-hex-writer";

function codeOf(fn: () => unknown): { code?: string; message?: string; details?: Record<string, unknown> } {
  try {
    fn();
  } catch (e) {
    return e as { code?: string; message?: string };
  }
  throw new Error("expected a throw");
}

describe("parseIntelHex", () => {
  it("reads data records and joins contiguous ones", () => {
    const text = ":0300300002337A1E\n:03003300AABBCC99\n:00000001FF\n";
    const image = parseIntelHex(text);
    expect(image.segments).toHaveLength(1);
    expect(image.segments[0]!.address).toBe(0x30);
    expect([...image.segments[0]!.data]).toEqual([0x02, 0x33, 0x7a, 0xaa, 0xbb, 0xcc]);
  });

  it("accepts CRLF, blank lines and lower-case digits", () => {
    const image = parseIntelHex("\r\n:0300300002337a1e\r\n\r\n:00000001ff\r\n");
    expect([...image.segments[0]!.data]).toEqual([0x02, 0x33, 0x7a]);
  });

  it("applies extended linear (04) and segment (02) addresses and start records (03, 05)", () => {
    const text = [
      ":020000040800F2", // upper = 0x0800
      ":0400000001020304F2",
      ":020000021000EC", // segment 0x1000 → base 0x10000
      ":02FFFF00A1B2AD", // wraps: 0x1FFFF then 0x10000
      ":0400000508000131BD",
      ":0400000300120034B3",
      ":00000001FF",
    ].join("\n");
    const image = parseIntelHex(text);
    expect(image.segments.map((s) => [s.address, [...s.data]])).toEqual([
      [0x10000, [0xb2]],
      [0x1ffff, [0xa1]],
      [0x08000000, [1, 2, 3, 4]],
    ]);
    expect(image.startAddress).toBe(0x08000131);
    expect(image.startSegment).toEqual({ cs: 0x12, ip: 0x34 });
  });

  it("rejects a bad checksum naming the file and line", () => {
    const e = codeOf(() => parseIntelHex(":0300300002337A1F\n:00000001FF", { file: "blink.hex" }));
    expect(e.code).toBe("IMAGE_INVALID");
    expect(e.message).toContain("blink.hex line 1");
    expect(e.message).toMatch(/checksum/);
    expect(e.details).toMatchObject({ line: 1, expected: 0x1e, actual: 0x1f });
  });

  it("rejects malformed records with IMAGE_INVALID and the line number", () => {
    const cases: [string, RegExp][] = [
      ["0300300002337A1E\n:00000001FF", /start with ':'/],
      [":0300300002337A1\n:00000001FF", /hexadecimal/],
      [":0400300002337A1D\n:00000001FF", /byte count says 4/],
      [":0300300602337A18\n:00000001FF", /unknown record type 0x06/],
      [":03000004000102F6\n:00000001FF", /must carry 2 data bytes/],
      [":0100000100FE", /must carry 0 data bytes/],
      [":0300300002337A1E", /no end-of-file record/],
      [":00000001FF\n:0300300002337A1E", /after the end-of-file/],
      [":0300300002337A1E\n:0100310055 79\n:00000001FF", /hexadecimal/],
    ];
    for (const [text, pattern] of cases) {
      const e = codeOf(() => parseIntelHex(text));
      expect(e.code, text).toBe("IMAGE_INVALID");
      expect(e.message, text).toMatch(pattern);
    }
  });

  it("rejects two records writing the same address, naming both lines", () => {
    const text = ":0300300002337A1E\n:0100310055 79\n:00000001FF".replace(" ", "");
    const e = codeOf(() => parseIntelHex(text));
    expect(e.code).toBe("IMAGE_INVALID");
    expect(e.message).toMatch(/line 2: address 0x31 was already written on line 1/);
  });
});

describe("toIntelHex", () => {
  it("writes records with correct checksums and the end-of-file record", () => {
    expect(toIntelHex(Uint8Array.of(0x02, 0x33, 0x7a), 0x30)).toBe(":0300300002337A1E\n:00000001FF\n");
  });

  it("emits extended linear records above 64 KiB and never crosses a 64 KiB boundary", () => {
    const data = Uint8Array.from({ length: 40 }, (_, i) => i);
    const text = toIntelHex(data, 0xfff0, { recordSize: 32 });
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe(":10FFF000000102030405060708090A0B0C0D0E0F89");
    expect(lines[1]).toBe(":020000040001F9");
    expect(lines[2]!.slice(0, 9)).toBe(":18000000");
    const back = parseIntelHex(text);
    expect(back.segments).toHaveLength(1);
    expect(back.segments[0]!.address).toBe(0xfff0);
    expect(Buffer.from(back.segments[0]!.data).equals(Buffer.from(data))).toBe(true);
  });

  it("round-trips a 32 KB image with a start address", () => {
    const data = Uint8Array.from({ length: 32 * 1024 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    const text = toIntelHex(data, 0x08000000, { startAddress: 0x08000131 });
    const back = parseIntelHex(text);
    expect(back.startAddress).toBe(0x08000131);
    const flat = hexToImage(back.segments);
    expect(flat.offset).toBe(0x08000000);
    expect(Buffer.from(flat.data).equals(Buffer.from(data))).toBe(true);
  });
});

describe("hexToImage", () => {
  const segments = [
    { address: 0x10, data: Uint8Array.of(1, 2) },
    { address: 0x14, data: Uint8Array.of(3) },
  ];

  it("fills gaps with 0xFF by default, from the given base", () => {
    const image = hexToImage(segments, { base: 0 });
    expect(image.offset).toBe(0);
    expect([...image.data.subarray(0x0e)]).toEqual([0xff, 0xff, 1, 2, 0xff, 0xff, 3]);
    expect(image.data.length).toBe(0x15);
  });

  it("uses the fill byte given and starts at the lowest segment by default", () => {
    const image = hexToImage(segments, { fill: 0 });
    expect(image.offset).toBe(0x10);
    expect([...image.data]).toEqual([1, 2, 0, 0, 3]);
  });

  it("rejects gaps when they are not allowed, data below the base, empty images and huge spans", () => {
    expect(codeOf(() => hexToImage(segments, { allowGaps: false })).message).toMatch(/gap from 0x12 to 0x14/);
    expect(codeOf(() => hexToImage(segments, { base: 0x11 })).code).toBe("IMAGE_INVALID");
    expect(codeOf(() => hexToImage([])).code).toBe("IMAGE_INVALID");
    const sparse = [
      { address: 0, data: Uint8Array.of(1) },
      { address: 0x08000000, data: Uint8Array.of(2) },
    ];
    expect(codeOf(() => hexToImage(sparse)).code).toBe("IMAGE_TOO_LARGE");
  });
});
