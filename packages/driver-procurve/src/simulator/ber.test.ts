import { describe, expect, it } from "vitest";
import {
  BerError,
  compareOid,
  decodeInteger,
  decodeOid,
  encodeInteger,
  encodeOid,
  encodeUnsigned,
  readTlv,
  Tag,
  tlv,
} from "./ber";

const hex = (b: Buffer): string => b.toString("hex");

describe("BER encoding", () => {
  it.each([
    [0, "020100"],
    [127, "02017f"],
    [128, "02020080"],
    [-1, "0201ff"],
    [-128, "020180"],
    [-129, "0202ff7f"],
    [256, "02020100"],
    [0x7fffffff, "02047fffffff"],
    [-0x80000000, "020480000000"],
  ])("INTEGER %d → %s, and back", (n, expected) => {
    const enc = encodeInteger(n);
    expect(hex(enc)).toBe(expected);
    expect(decodeInteger(readTlv(enc).content)).toBe(n);
  });

  it("refuses integers outside Integer32", () => {
    expect(() => encodeInteger(0x80000000)).toThrow(RangeError);
    expect(() => encodeInteger(1.5)).toThrow(RangeError);
  });

  it("writes unsigned types with a leading zero when the top bit is set", () => {
    expect(hex(encodeUnsigned(0xffffffff, Tag.Counter32))).toBe("410500ffffffff");
    expect(hex(encodeUnsigned(200, Tag.TimeTicks))).toBe("430200c8");
    expect(hex(encodeUnsigned(0, Tag.Gauge32))).toBe("420100");
    expect(hex(encodeUnsigned(2n ** 64n - 1n, Tag.Counter64))).toBe("460900ffffffffffffffff");
    expect(() => encodeUnsigned(2 ** 32, Tag.Gauge32)).toThrow(RangeError);
    expect(() => encodeUnsigned(-1, Tag.Counter32)).toThrow(RangeError);
  });

  it("encodes OIDs in base 128 with the first two arcs joined", () => {
    expect(hex(encodeOid([1, 3, 6, 1, 2, 1, 1, 1, 0]))).toBe("06082b06010201010100");
    const big = [1, 3, 6, 1, 4, 1, 11, 2, 3, 7, 11, 137, 0xffffffff];
    expect(decodeOid(readTlv(encodeOid(big)).content)).toEqual(big);
    expect(decodeOid(readTlv(encodeOid([2, 999, 3])).content)).toEqual([2, 999, 3]);
  });

  it("uses long-form lengths past 127 bytes", () => {
    expect(hex(tlv(0x04, Buffer.alloc(200)).subarray(0, 3))).toBe("0481c8");
    expect(hex(tlv(0x04, Buffer.alloc(300)).subarray(0, 4))).toBe("0482012c");
    expect(readTlv(tlv(0x04, Buffer.alloc(300))).content).toHaveLength(300);
  });

  it("orders OIDs by sub-identifier, a prefix first", () => {
    expect(compareOid([1, 3, 6, 1, 2], [1, 3, 6, 1, 10])).toBeLessThan(0); // 2 < 10, unlike text
    expect(compareOid([1, 3, 6], [1, 3, 6, 0])).toBeLessThan(0);
    expect(compareOid([1, 3, 6, 1], [1, 3, 6, 1])).toBe(0);
  });
});

describe("BER decoding of bad input", () => {
  it.each([
    ["empty", ""],
    ["a lone tag", "30"],
    ["content past the end", "3005020100"],
    ["indefinite length", "3080020100 0000"],
    ["a 5-byte length", "3085000000000100"],
    ["a multi-byte tag", "1f0100"],
    ["a length past the end in long form", "3082ffff00"],
  ])("throws BerError on %s", (_, text) => {
    expect(() => readTlv(Buffer.from(text.replaceAll(" ", ""), "hex"))).toThrow(BerError);
  });

  it("rejects OIDs with padding, 33-bit arcs or a cut-off arc", () => {
    expect(() => decodeOid(Buffer.from("2b8001", "hex"))).toThrow(BerError);
    expect(() => decodeOid(Buffer.from("2b9080808000", "hex"))).toThrow(BerError);
    expect(() => decodeOid(Buffer.from("2b86", "hex"))).toThrow(BerError);
    expect(() => decodeOid(Buffer.alloc(0))).toThrow(BerError);
    expect(() => decodeOid(Buffer.alloc(200, 1))).toThrow(BerError); // more than 128 arcs
  });

  it("rejects INTEGERs that are empty or wider than 32 bits", () => {
    expect(() => decodeInteger(Buffer.alloc(0))).toThrow(BerError);
    expect(() => decodeInteger(Buffer.alloc(5))).toThrow(BerError);
  });
});
