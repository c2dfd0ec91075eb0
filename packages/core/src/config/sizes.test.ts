import { describe, expect, it } from "vitest";
import { formatOffset, formatSize, parseOffset, parseSize } from "./sizes";

describe("parseSize", () => {
  it("reads the units plants write, in binary multiples", () => {
    expect(parseSize("4MB")).toBe(4 * 1024 * 1024);
    expect(parseSize("512KB")).toBe(512 * 1024);
    expect(parseSize("16 MiB")).toBe(16 * 1024 * 1024);
    expect(parseSize("1.5M")).toBe(1.5 * 1024 * 1024);
    expect(parseSize("0x400000")).toBe(0x400000);
    expect(parseSize(3145728)).toBe(3145728);
  });

  it("rejects what is not a size", () => {
    expect(parseSize("4 bananas")).toBeUndefined();
    expect(parseSize("-1MB")).toBeUndefined();
    expect(parseSize(-5)).toBeUndefined();
    expect(parseSize(1.5)).toBeUndefined();
    expect(parseSize("0.3B")).toBeUndefined();
  });
});

describe("parseOffset", () => {
  it("reads numbers and hex text", () => {
    expect(parseOffset(0x1000)).toBe(4096);
    expect(parseOffset("0x8000")).toBe(0x8000);
    expect(parseOffset("65536")).toBe(65536);
    expect(parseOffset("8000h")).toBeUndefined();
  });
});

describe("formatting", () => {
  it("prints sizes and offsets for messages", () => {
    expect(formatSize(3145728)).toBe("3 MB");
    expect(formatSize(40000)).toBe("39.06 KB");
    expect(formatSize(12)).toBe("12 B");
    expect(formatOffset(0x10000)).toBe("0x10000");
  });
});
