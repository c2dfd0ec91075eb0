import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPicoLab, type PicoLab } from "../simulator/lab";
import { Picotool } from "./picotool";
import type { PicotoolProgress } from "./progress";
import { createPicotoolExec } from "./runner";

const run = promisify(execFile);

function image(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe("picotool double, through the Picotool wrapper", () => {
  let lab: PicoLab;
  let picotool: Picotool;
  beforeEach(async () => {
    lab = await createPicoLab();
    picotool = new Picotool(createPicotoolExec(lab.picotool.tool));
  });
  afterEach(async () => {
    await lab.close();
  });

  it("exits with picotool's status for no device (rc -7 → 249) and its exact message", async () => {
    const error = await run(lab.picotool.tool, ["info", "-a"]).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(error?.code).toBe(249);
    expect(error?.stdout).toBe("No accessible RP-series devices in BOOTSEL mode were found.\n");
    await expect(picotool.info()).rejects.toMatchObject({ code: "NO_DEVICE" });
  });

  it("prints info -a in picotool's layout and parses into the flash id", async () => {
    const board = lab.addBoard({ location: "1-2", flashId: "E6614C311B4C6A25" });
    const { stdout } = await run(lab.picotool.tool, [
      "info",
      "-a",
      "--bus",
      "1",
      "--address",
      String(board.address),
    ]);
    expect(stdout).toBe(
      [
        "Program Information",
        " none",
        "",
        "Fixed Pin Information",
        " none",
        "",
        "Build Information",
        " none",
        "",
        "Device Information",
        // Values start at column 13: 3 + the longest key ("flash size").
        ` type:${" ".repeat(7)}RP2040`,
        ` revision:${" ".repeat(3)}B2`,
        " flash size: 2048K",
        ` flash id:${" ".repeat(3)}0xE6614C311B4C6A25`,
        "",
      ].join("\n"),
    );
    const [info] = await picotool.info({ bus: 1, address: board.address });
    expect(info?.device).toEqual({
      type: "RP2040",
      family: "rp2040",
      revision: "B2",
      flashSize: 2 << 20,
      flashId: "e6614c311b4c6a25",
    });
  });

  it("tells two RP2040s apart by bus and address, not by their shared serial", async () => {
    const a = lab.addBoard({ location: "1-2", flashId: "1111111111111111" });
    const b = lab.addBoard({ location: "1-3", flashId: "2222222222222222" });
    expect(a.usb.serial).toBe(b.usb.serial);
    const both = await picotool.info();
    expect(both.map((d) => d.at)).toEqual([
      { chip: "RP2040", bus: 1, address: a.address },
      { chip: "RP2040", bus: 1, address: b.address },
    ]);
    const [onlyB] = await picotool.info({ bus: 1, address: b.address });
    expect(onlyB?.device?.flashId).toBe("2222222222222222");
    // A command that needs one device refuses an ambiguous target (rc -8).
    await expect(picotool.reboot("application")).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      details: { rc: -8 },
    });
    // The shared BOOTSEL serial matches both boards: still ambiguous.
    await expect(picotool.reboot("application", { serial: a.usb.serial })).rejects.toMatchObject({
      details: { rc: -8 },
    });
    await expect(picotool.info({ bus: 1, address: 99 })).rejects.toMatchObject({
      code: "NO_DEVICE",
      message: expect.stringContaining(
        "No accessible RP-series device in BOOTSEL mode was found at bus 1, address 99.",
      ),
    });
  });

  it("load -v round-trips through the flash file, and save reads the same bytes back", async () => {
    const board = lab.addBoard({ location: "1-2" });
    const sel = { bus: 1, address: board.address };
    const file = path.join(lab.dir, "app.bin");
    const data = image(10_000, 3);
    await writeFile(file, data);
    const progress: PicotoolProgress[] = [];
    const result = await picotool.load(
      file,
      { type: "bin", offset: 0x1000_4000, verify: true, onProgress: (p) => progress.push(p) },
      sel,
    );
    expect(result).toEqual({ verified: true, executed: false });
    expect(progress.filter((p) => p.phase === "load").at(-1)?.percent).toBe(100);
    expect(progress.some((p) => p.phase === "verify")).toBe(true);
    // The flash file holds the image at 0x4000, and zeros after it up to the sector end (picotool's fill).
    const flash = await readFile(board.flash.path);
    expect(flash.subarray(0x4000, 0x4000 + data.length).equals(data)).toBe(true);
    expect(flash.subarray(0x4000 + data.length, 0x7000).every((b) => b === 0)).toBe(true);
    expect(flash[0x3fff]).toBe(0xff);
    const out = path.join(lab.dir, "back.bin");
    await picotool.save(out, { range: [0x1000_4000, 0x1000_4000 + data.length] }, {}, sel);
    expect((await readFile(out)).equals(data)).toBe(true);
    expect(await picotool.verify(file, { type: "bin", offset: 0x1000_4000 }, sel)).toEqual({ ok: true });
    board.flash.program(0x4000 + 77, Uint8Array.of(0));
    expect(await picotool.verify(file, { type: "bin", offset: 0x1000_4000 }, sel)).toEqual({ ok: false });
  });

  it("reports a failing flash through load -v as VERIFY_FAILED (rc -11)", async () => {
    const board = lab.addBoard({ location: "1-2" });
    board.flash.corruptAt = 0x100;
    const file = path.join(lab.dir, "app.bin");
    await writeFile(file, image(4096, 1));
    const error = await picotool
      .load(file, { type: "bin", verify: true }, { bus: 1, address: board.address })
      .catch((e) => e);
    expect(error).toMatchObject({ code: "VERIFY_FAILED", details: { rc: -11, exitCode: 245 } });
    expect(error.details.output).toContain("  FAILED\n");
    expect(error.message).toContain("The device contents did not match the file");
  });

  it("load -x and reboot move the board between BOOTSEL and its application", async () => {
    const board = lab.addBoard({ location: "1-2" });
    const file = path.join(lab.dir, "app.bin");
    await writeFile(file, image(4096, 9));
    const loaded = await picotool.load(
      file,
      { type: "bin", execute: true },
      { bus: 1, address: board.address },
    );
    expect(loaded.executed).toBe(true);
    await expect.poll(() => board.mode).toBe("app");
    // Running an application, the board is seen but not usable: picotool says so and suggests -f.
    const error = await picotool.info({ bus: 1 }).catch((e) => e);
    expect(error).toMatchObject({ code: "NO_DEVICE" });
    expect(error.details.output).toContain(
      `but:\n\nRP2040 device at bus 1, address ${board.address} appears to have a USB serial connection, so consider -f (or -F) to force reboot in order to run the command.`,
    );
    lab.reboot(board, "bootsel");
    await expect.poll(() => board.mode).toBe("bootsel");
    const before = board.address;
    await picotool.reboot("bootsel", { bus: 1, address: before });
    await expect.poll(() => board.mode === "bootsel" && board.address !== before).toBe(true);
  });

  it("maps a board picotool cannot open to PORT_BUSY with the udev rule", async () => {
    lab.addBoard({ location: "1-2", inaccessible: true });
    await expect(picotool.info()).rejects.toMatchObject({
      code: "PORT_BUSY",
      message: expect.stringContaining('ATTRS{idVendor}=="2e8a"'),
    });
  });

  it("refuses a UF2 for the other family with rc -3", async () => {
    const board = lab.addBoard({ location: "1-2", family: "rp2040" });
    const { writeUf2 } = await import("../uf2/writer");
    const file = path.join(lab.dir, "rp2350.uf2");
    await writeFile(file, writeUf2(image(512, 2), { family: "rp2350" }));
    await expect(picotool.load(file, {}, { bus: 1, address: board.address })).rejects.toMatchObject({
      code: "DEVICE_MISMATCH",
      details: { rc: -3 },
    });
  });

  it("selects an RP2350 by its chip-unique serial with --ser", async () => {
    const a = lab.addBoard({ location: "2-1", family: "rp2350", flashId: "aaaa000011112222" });
    lab.addBoard({ location: "2-2", family: "rp2350", flashId: "bbbb000011112222" });
    expect(a.usb.serial).not.toBe(lab.board("2-2")?.usb.serial);
    const [only] = await picotool.info({ serial: a.usb.serial });
    expect(only?.at).toBeUndefined();
    expect(only?.device).toMatchObject({ family: "rp2350", flashId: "aaaa000011112222", package: "QFN60" });
    expect(lab.picotool.calls.at(-1)).toEqual(["info", "-a", "--ser", a.usb.serial]);
  });

  it("kills a picotool that runs past its bound and rejects with TIMEOUT", async () => {
    const board = lab.addBoard({ location: "1-2" });
    lab.bytesPerSecond = 50_000;
    const file = path.join(lab.dir, "slow.bin");
    await writeFile(file, image(512 * 1024, 5));
    await expect(
      picotool.load(file, { type: "bin", timeoutMs: 1500 }, { bus: 1, address: board.address }),
    ).rejects.toMatchObject({ code: "TIMEOUT", retryable: true });
  });

  it("reports its version", async () => {
    expect(await picotool.version()).toBe("2.3.0");
  });

  it("a missing picotool is PICOTOOL_NOT_FOUND with the install hint", async () => {
    const missing = new Picotool(createPicotoolExec(path.join(lab.dir, "nowhere", "picotool")));
    await expect(missing.version()).rejects.toMatchObject({
      code: "PICOTOOL_NOT_FOUND",
      message: expect.stringContaining("apt-get install picotool"),
    });
  });

  it("cancelling a load kills picotool and rejects with ABORTED", async () => {
    const board = lab.addBoard({ location: "1-2" });
    lab.bytesPerSecond = 100_000;
    const file = path.join(lab.dir, "big.bin");
    await writeFile(file, image(256 * 1024, 5));
    const controller = new AbortController();
    const pending = picotool.load(
      file,
      { type: "bin", signal: controller.signal, onProgress: (p) => p.percent >= 1 && controller.abort() },
      { bus: 1, address: board.address },
    );
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
  });
});
