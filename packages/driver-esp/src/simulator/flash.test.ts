import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BLOCK, NO_FLASH_TIMING, SECTOR, SimFlash } from "./flash";

const MiB = 1024 * 1024;

describe("SimFlash (sparse)", () => {
  it("reads erased 0xFF and holds memory only for programmed sectors", () => {
    const flash = new SimFlash(4 * MiB, NO_FLASH_TIMING);
    expect(flash.allocatedBytes).toBe(0);
    expect(flash.read(0x3ff000, 16).every((b) => b === 0xff)).toBe(true);
    // Memory is taken per 64 KiB block and freed once every sector of the block is erased again.
    flash.program(0x10000, new Uint8Array(SECTOR + 10).fill(0x11));
    flash.program(0x30000, Uint8Array.of(0));
    expect(flash.allocatedBytes).toBe(2 * BLOCK);
    flash.erase(0x10000, SECTOR);
    expect(flash.allocatedBytes).toBe(2 * BLOCK);
    expect(flash.byteAt(0x10000)).toBe(0xff);
    expect(flash.byteAt(0x11000)).toBe(0x11);
    flash.erase(0x11000, SECTOR);
    expect(flash.allocatedBytes).toBe(BLOCK);
    // A sector programmed again after its erase reads erased outside what was written.
    flash.program(0x30004, Uint8Array.of(0x22));
    expect([...flash.read(0x30000, 6)]).toEqual([0, 0xff, 0xff, 0xff, 0x22, 0xff]);
    flash.eraseAll();
    expect(flash.allocatedBytes).toBe(0);
    expect(flash.byteAt(0x10000)).toBe(0xff);
  });

  it("keeps NOR semantics: programming without an erase only clears bits", () => {
    const flash = new SimFlash(MiB, NO_FLASH_TIMING);
    flash.program(0x2000, Uint8Array.of(0xf0, 0xff, 0x0f));
    flash.program(0x2000, Uint8Array.of(0x3c, 0x3c, 0x3c));
    expect([...flash.read(0x2000, 4)]).toEqual([0x30, 0x3c, 0x0c, 0xff]);
    // Sequential writes into an erased sector land as written, across sector boundaries too.
    const data = Uint8Array.from({ length: 3 * SECTOR }, (_, i) => (i * 7) & 0xff);
    flash.erase(0x4000, 3 * SECTOR);
    for (let at = 0; at < data.length; at += 1000)
      flash.program(0x4000 + at, data.subarray(at, Math.min(data.length, at + 1000)));
    expect(Buffer.from(flash.read(0x4000, data.length)).equals(Buffer.from(data))).toBe(true);
    // A second pass over written bytes ANDs (a write without erase corrupts, as on a real chip).
    flash.program(0x4000, Uint8Array.of(0x0f));
    expect(flash.byteAt(0x4000)).toBe(data[0]! & 0x0f);
  });

  it("hashes erased and programmed sectors like a flat array", () => {
    const flash = new SimFlash(MiB, NO_FLASH_TIMING);
    const flat = new Uint8Array(MiB).fill(0xff);
    const image = Uint8Array.from({ length: 50_000 }, (_, i) => (i * 31) & 0xff);
    flash.program(0x8100, image);
    flat.set(image, 0x8100);
    const hash = createHash("md5");
    flash.hash(0x8000, 0x20000, hash);
    expect(hash.digest("hex")).toBe(createHash("md5").update(flat.subarray(0x8000, 0x28000)).digest("hex"));
    flash.write(0x8100, Uint8Array.of(0xff));
    expect(flash.byteAt(0x8100)).toBe(0xff);
  });
});
