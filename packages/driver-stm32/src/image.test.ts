import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { toIntelHex } from "@factory/core";
import { afterAll, describe, expect, it } from "vitest";
import { loadStm32Image } from "./image";

const dir = mkdtempSync(path.join(tmpdir(), "stm32-image-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const join = (...parts: string[]): string =>
  `${parts.map((p) => p.replace(/:00000001FF\s*$/i, "").trim()).join("\n")}\n:00000001FF\n`;

describe("loadStm32Image", () => {
  it("places a .bin at 0x08000000 unless told otherwise", async () => {
    const file = path.join(dir, "app.bin");
    writeFileSync(file, Uint8Array.of(1, 2, 3, 4));
    expect(await loadStm32Image(file)).toMatchObject({
      name: "app",
      offset: 0x0800_0000,
      data: Uint8Array.of(1, 2, 3, 4),
    });
    expect((await loadStm32Image(file, { offset: 0x0800_4000, name: "boot" })).offset).toBe(0x0800_4000);
  });

  it("reads Intel HEX at its own address and fills a small hole with 0xFF", async () => {
    const text = join(
      toIntelHex(Uint8Array.of(1, 2, 3, 4), 0x0800_0000),
      toIntelHex(Uint8Array.of(9, 9), 0x0800_0008),
    );
    const region = await loadStm32Image(new TextEncoder().encode(text));
    expect(region.offset).toBe(0x0800_0000);
    expect([...region.data]).toEqual([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xff, 9, 9]);
  });

  it("refuses a HEX file with a wide gap (a record far away from the rest) with IMAGE_INVALID", async () => {
    const text = join(
      toIntelHex(Uint8Array.of(1, 2, 3, 4), 0x0800_0000),
      toIntelHex(Uint8Array.of(0xaa), 0x1fff_c000),
    );
    const file = path.join(dir, "gapped.hex");
    writeFileSync(file, text);
    await expect(loadStm32Image(file)).rejects.toMatchObject({ code: "IMAGE_INVALID" });
    const small = join(toIntelHex(Uint8Array.of(1), 0x0800_0000), toIntelHex(Uint8Array.of(2), 0x0800_0010));
    await expect(loadStm32Image(new TextEncoder().encode(small), { gaps: "reject" })).rejects.toMatchObject({
      code: "IMAGE_INVALID",
    });
  });

  it("rejects a broken HEX record, an empty .bin and a missing file with coded errors", async () => {
    await expect(loadStm32Image(new TextEncoder().encode(":0400000001020304FF\n"))).rejects.toMatchObject({
      code: "IMAGE_INVALID",
    });
    await expect(loadStm32Image(new Uint8Array(0), { format: "bin" })).rejects.toMatchObject({
      code: "IMAGE_INVALID",
    });
    await expect(loadStm32Image(path.join(dir, "missing.bin"))).rejects.toMatchObject({
      code: "FILE_NOT_FOUND",
    });
  });
});
