import { describe, expect, it } from "vitest";
import { UF2_FAMILY_IDS } from "../families";
import { encodeBlock, looksLikeUf2, UF2_FLAG_FAMILY_ID_PRESENT } from "./block";
import { readUf2 } from "./reader";
import { writeUf2 } from "./writer";

const u32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getUint32(at, true);

const flip = (at: number, mask: number) => (b: Uint8Array) => {
  b[at] = (b[at] ?? 0) ^ mask;
  return b;
};
const setU32 = (at: number, value: number) => (b: Uint8Array) => {
  new DataView(b.buffer, b.byteOffset).setUint32(at, value, true);
  return b;
};

function image(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("writeUf2", () => {
  it("lays out RP2040 blocks as the bootrom expects", () => {
    const data = image(600);
    const uf2 = writeUf2(data, { family: "rp2040", address: 0x1000_1000 });
    expect(uf2.length).toBe(3 * 512);
    for (let i = 0; i < 3; i += 1) {
      const at = i * 512;
      expect(u32(uf2, at)).toBe(0x0a324655);
      expect(u32(uf2, at + 4)).toBe(0x9e5d5157);
      expect(u32(uf2, at + 8)).toBe(0x2000);
      expect(u32(uf2, at + 12)).toBe(0x1000_1000 + i * 256);
      expect(u32(uf2, at + 16)).toBe(256);
      expect(u32(uf2, at + 20)).toBe(i);
      expect(u32(uf2, at + 24)).toBe(3);
      expect(u32(uf2, at + 28)).toBe(0xe48bff56);
      expect(u32(uf2, at + 508)).toBe(0x0ab16f30);
      // Bytes after the 256-byte payload are zero.
      expect(uf2.subarray(at + 32 + 256, at + 508).every((b) => b === 0)).toBe(true);
    }
    expect(Buffer.from(uf2.subarray(32, 32 + 256)).equals(Buffer.from(data.subarray(0, 256)))).toBe(true);
    // The last payload holds the 88 remaining bytes, zero-padded.
    const last = uf2.subarray(1024 + 32, 1024 + 32 + 256);
    expect(Buffer.from(last.subarray(0, 88)).equals(Buffer.from(data.subarray(512)))).toBe(true);
    expect(last.subarray(88).every((b) => b === 0)).toBe(true);
  });

  it("starts RP2350 flash images with the E10 ignore block, as picotool does", () => {
    const uf2 = writeUf2(image(256), { family: "rp2350" });
    expect(uf2.length).toBe(2 * 512);
    expect(u32(uf2, 12)).toBe(0x10ffff00);
    expect(u32(uf2, 24)).toBe(2);
    expect(u32(uf2, 28)).toBe(0xe48bff57);
    expect(u32(uf2, 8)).toBe(0xa000);
    expect(uf2[32]).toBe(0xef);
    expect(u32(uf2, 32 + 256)).toBe(0x9957e304);
    expect(u32(uf2, 512 + 28)).toBe(0xe48bff59);
    const read = readUf2(uf2, { family: "rp2350" });
    expect(read.familyId).toBe(0xe48bff59);
    expect(read.blocks).toBe(1);
    expect(read.ignoredFamilyIds).toEqual([0xe48bff57]);
    expect(writeUf2(image(256), { family: "rp2350", errataBlock: false }).length).toBe(512);
  });

  it("refuses an unaligned address, an empty image and an image beyond the flash", () => {
    expect(() => writeUf2(image(16), { family: "rp2040", address: 0x1000_0010 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => writeUf2(new Uint8Array(0), { family: "rp2040" })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() =>
      writeUf2(image(4096), { family: "rp2040", address: 0x101f_f800, flashSize: 2 << 20 }),
    ).toThrow(expect.objectContaining({ code: "IMAGE_TOO_LARGE" }));
  });
});

describe("readUf2", () => {
  it("round-trips what writeUf2 wrote, for both families", () => {
    const data = image(5000, 7);
    for (const family of ["rp2040", "rp2350"] as const) {
      const read = readUf2(writeUf2(data, { family, address: 0x1000_2000 }), { family, flashSize: 2 << 20 });
      expect(read.family).toBe(family);
      expect(read.target).toBe("flash");
      expect(read.start).toBe(0x1000_2000);
      expect(read.ranges).toEqual([{ address: 0x1000_2000, size: 20 * 256 }]);
      expect(Buffer.from(read.flat.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
    }
    expect(looksLikeUf2(writeUf2(data, { family: "rp2040" }))).toBe(true);
    expect(looksLikeUf2(data)).toBe(false);
  });

  it("accepts blocks in any order and a RAM image", () => {
    const uf2 = writeUf2(image(1024), { family: "rp2040", address: 0x2000_0000 });
    const shuffled = new Uint8Array(uf2.length);
    for (const [to, from] of [3, 1, 0, 2].entries())
      shuffled.set(uf2.subarray(from * 512, from * 512 + 512), to * 512);
    const read = readUf2(shuffled, { family: "rp2040" });
    expect(read.target).toBe("ram");
    expect(Buffer.from(read.flat).equals(Buffer.from(image(1024)))).toBe(true);
  });

  it("refuses a UF2 built for the other family", () => {
    const rp2350 = writeUf2(image(512), { family: "rp2350" });
    expect(() => readUf2(rp2350, { family: "rp2040" })).toThrow(
      expect.objectContaining({ code: "UF2_WRONG_FAMILY", message: expect.stringContaining("RP2350_ARM_S") }),
    );
    const rp2040 = writeUf2(image(512), { family: "rp2040" });
    expect(() => readUf2(rp2040, { family: "rp2350" })).toThrow(
      expect.objectContaining({ code: "UF2_WRONG_FAMILY" }),
    );
  });

  it("takes only the board's family out of a combined file", () => {
    const both = Buffer.concat([
      writeUf2(image(256, 1), { family: "rp2040" }),
      writeUf2(image(512, 2), { family: "rp2350", errataBlock: false }),
    ]);
    const read = readUf2(both, { family: "rp2350" });
    expect(read.blocks).toBe(2);
    expect(read.ignoredFamilyIds).toEqual([UF2_FAMILY_IDS.RP2040]);
    expect(() => readUf2(both)).toThrow(expect.objectContaining({ code: "IMAGE_INVALID" }));
  });

  it("refuses an image over the board's flash size", () => {
    const uf2 = writeUf2(image(8192), { family: "rp2040", address: 0x1000_0000 + (2 << 20) - 4096 });
    expect(() => readUf2(uf2, { family: "rp2040", flashSize: 2 << 20 })).toThrow(
      expect.objectContaining({ code: "IMAGE_TOO_LARGE" }),
    );
    expect(readUf2(uf2, { family: "rp2040", flashSize: 4 << 20 }).blocks).toBe(32);
  });

  it("refuses corrupt files with IMAGE_INVALID", () => {
    const good = writeUf2(image(1024), { family: "rp2040" });
    const cases: [string, (b: Uint8Array) => Uint8Array, RegExp][] = [
      ["bad start magic", flip(512, 1), /block 1 is corrupt: its start magic/],
      ["bad end magic", flip(1024 + 508, 0x80), /block 2 is corrupt: its end magic/],
      ["truncated block", (b) => b.subarray(0, 1000), /not a multiple of 512/],
      ["missing block", (b) => b.subarray(0, 1536), /block 3 of 4 is missing/],
      ["payload size", setU32(16, 476), /carries 476 bytes/],
      ["duplicate number", setU32(512 + 20, 0), /block 0 appears twice/],
      ["numBlocks disagree", setU32(512 + 24, 5), /says 5 blocks/],
      ["unaligned address", setU32(12, 0x1000_0004), /not 256-aligned/],
      ["empty", () => new Uint8Array(0), /not a UF2 file/],
    ];
    for (const [name, corrupt, message] of cases) {
      const error = (() => {
        try {
          readUf2(corrupt(Uint8Array.from(good)), { family: "rp2040" });
        } catch (e) {
          return e as { code?: string; message?: string };
        }
        return undefined;
      })();
      expect(error?.code, name).toBe("IMAGE_INVALID");
      expect(error?.message, name).toMatch(message);
    }
  });

  it("refuses blocks without a family id and addresses outside flash and RAM", () => {
    const noFamily = encodeBlock({
      flags: 0,
      targetAddr: 0x1000_0000,
      payloadSize: 256,
      blockNo: 0,
      numBlocks: 1,
      familyOrSize: 256,
      payload: new Uint8Array(256),
    });
    expect(() => readUf2(noFamily)).toThrow(expect.objectContaining({ code: "IMAGE_INVALID" }));
    const peripheral = encodeBlock({
      flags: UF2_FLAG_FAMILY_ID_PRESENT,
      targetAddr: 0x4000_0000,
      payloadSize: 256,
      blockNo: 0,
      numBlocks: 1,
      familyOrSize: UF2_FAMILY_IDS.RP2040,
      payload: new Uint8Array(256),
    });
    expect(() => readUf2(peripheral, { family: "rp2040" })).toThrow(
      expect.objectContaining({
        code: "IMAGE_TOO_LARGE",
        message: expect.stringContaining("outside the flash"),
      }),
    );
  });
});
