import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import driverFactory from "../index";
import { createPicoLab, type PicoLab } from "../simulator/lab";
import { testImage } from "../test-support";
import { readUf2 } from "../uf2/reader";
import { writeUf2 } from "../uf2/writer";
import { createPicoDriver } from "./driver";

let lab: PicoLab;
beforeEach(async () => {
  lab = await createPicoLab({ rebootDelayMs: 50 });
});
afterEach(async () => {
  await lab.close();
});

const loads = () => lab.picotool.calls.filter((c) => c[0] === "load");

describe("ports and identity", () => {
  it("lists BOOTSEL and running boards by USB location, with family hints", async () => {
    lab.addBoard({ location: "1-2", family: "rp2040" });
    lab.addBoard({ location: "1-3.1", family: "rp2350" });
    const app = lab.addBoard({ location: "3-1", family: "rp2040" });
    app.flash.program(0, testImage(256, 1));
    lab.reboot(app, "app");
    await expect.poll(() => app.mode).toBe("app");
    const ports = await createPicoDriver(lab.driverOptions).list();
    expect(ports).toEqual([
      expect.objectContaining({ path: "usb:1-2", location: "1-2", productId: 0x0003, familyHint: "rp2040" }),
      expect.objectContaining({ path: "usb:1-3.1", productId: 0x000f, familyHint: "rp2350" }),
      expect.objectContaining({
        path: "usb:3-1",
        productId: 0x000a,
        serialNumber: app.flashId,
        familyHint: "rp2040",
      }),
    ]);
  });

  it("tells RP2040s with the same BOOTSEL serial apart by their flash ids, and flashes only the one asked", async () => {
    const a = lab.addBoard({ location: "1-2", flashId: "aaaaaaaaaaaaaaaa" });
    const b = lab.addBoard({ location: "1-3", flashId: "bbbbbbbbbbbbbbbb" });
    expect(a.usb.serial).toBe(b.usb.serial);
    const driver = createPicoDriver(lab.driverOptions);
    const sa = await driver.open({ path: "usb:1-2" });
    const sb = await driver.open({ path: "usb:1-3" });
    try {
      expect((await sa.identify()).uniqueId).toBe("aaaaaaaaaaaaaaaa");
      expect((await sb.identify()).uniqueId).toBe("bbbbbbbbbbbbbbbb");
      await sb.flash({ regions: [{ name: "app", offset: 0, data: testImage(8192, 4) }] });
      expect(Buffer.from(b.flash.read(0, 8192)).equals(Buffer.from(testImage(8192, 4)))).toBe(true);
      expect(a.flash.read(0, 8192).every((x) => x === 0xff)).toBe(true);
      expect(loads().at(-1)).toEqual(expect.arrayContaining(["--bus", "1", "--address", String(b.address)]));
    } finally {
      await sa.close();
      await sb.close();
    }
  });

  it("sends a running board to BOOTSEL with the 1200-baud touch on open", async () => {
    const board = lab.addBoard({ location: "1-4", family: "rp2350", flashId: "0123456789abcdef" });
    board.flash.program(0, testImage(256, 2));
    lab.reboot(board, "app");
    await expect.poll(() => board.mode).toBe("app");
    const session = await createPicoDriver(lab.driverOptions).open({ path: "usb:1-4" });
    try {
      expect(board.mode).toBe("bootsel");
      const id = await session.identify();
      expect(id).toMatchObject({
        family: "rp2350",
        chip: "RP2350",
        uniqueId: "0123456789abcdef",
        flashSize: 2 << 20,
      });
      expect(id.extra).toMatchObject({ package: "QFN60", usbLocation: "1-4" });
    } finally {
      await session.close();
    }
  });

  it("refuses a board whose application ignores the touch with SYNC_FAILED, in bounded time", async () => {
    const board = lab.addBoard({ location: "1-4", resetViaBaudRate: false });
    board.flash.program(0, testImage(256, 2));
    lab.reboot(board, "app");
    await expect.poll(() => board.mode).toBe("app");
    const driver = createPicoDriver({ ...lab.driverOptions, enumerationTimeoutMs: 300 });
    await expect(driver.open({ path: "usb:1-4" })).rejects.toMatchObject({ code: "SYNC_FAILED" });
  });

  it("says how to install picotool when it is missing", async () => {
    lab.addBoard({ location: "1-2" });
    const driver = createPicoDriver({ ...lab.driverOptions, picotool: path.join(lab.dir, "no", "picotool") });
    await expect(driver.open({ path: "usb:1-2" })).rejects.toMatchObject({
      code: "PICOTOOL_NOT_FOUND",
      message: expect.stringMatching(/apt-get install picotool.*raspberrypi\/picotool/),
    });
    // The port is free again after the failed open.
    const ok = createPicoDriver(lab.driverOptions);
    await (await ok.open({ path: "usb:1-2" })).close();
  });

  it("refuses ports that are not USB locations and bad settings with INVALID_ARGUMENT", async () => {
    lab.addBoard({ location: "1-2" });
    const driver = createPicoDriver(lab.driverOptions);
    await expect(driver.open({ path: "/dev/ttyACM0" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(driver.open({ path: "usb:1-2" }, { settings: { transport: "usb" } })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
    expect(() => createPicoDriver({ ...lab.driverOptions, enumerationTimeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect((await driver.probe({ path: "/dev/ttyACM0" })).present).toBe(false);
  });

  it("is the package's default export, as config loads it", async () => {
    expect(driverFactory).toMatchObject({ kind: "board", name: "pico", families: ["rp2040", "rp2350"] });
    const driver = await driverFactory.create(lab.driverOptions);
    expect(driver.capabilities).toMatchObject({ uniqueId: "flash-uid", verify: "readback" });
  });
});

describe("bad input changes nothing", () => {
  async function session() {
    const board = lab.addBoard({ location: "1-2", family: "rp2040", flashSize: 2 << 20 });
    const s = await createPicoDriver(lab.driverOptions).open({ path: "usb:1-2" });
    return { board, s };
  }

  it("refuses a UF2 for the wrong family", async () => {
    const { board, s } = await session();
    try {
      const uf2 = writeUf2(testImage(4096, 1), { family: "rp2350" });
      await expect(s.flash({ regions: [{ name: "app", offset: 0, data: uf2 }] })).rejects.toMatchObject({
        code: "UF2_WRONG_FAMILY",
      });
      expect(loads()).toEqual([]);
      expect(board.flash.read(0, 4096).every((x) => x === 0xff)).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("refuses an image over the flash size (raw and UF2) and a corrupt UF2", async () => {
    const { s } = await session();
    try {
      const big = testImage(8192, 1);
      await expect(
        s.flash({ regions: [{ name: "app", offset: (2 << 20) - 4096, data: big }] }),
      ).rejects.toMatchObject({
        code: "PLAN_INVALID",
      });
      const beyond = writeUf2(big, {
        family: "rp2040",
        address: 0x1000_0000 + (2 << 20) - 4096,
        flashSize: 4 << 20,
      });
      await expect(
        s.flash({ regions: [{ name: "app", offset: (2 << 20) - 4096, data: beyond }] }),
      ).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
      const corrupt = writeUf2(big, { family: "rp2040" });
      corrupt[512 + 508] = (corrupt[512 + 508] ?? 0) ^ 0xff;
      await expect(s.flash({ regions: [{ name: "app", offset: 0, data: corrupt }] })).rejects.toMatchObject({
        code: "IMAGE_INVALID",
        message: expect.stringContaining("block 1 is corrupt"),
      });
      await expect(s.flash({ regions: [{ name: "app", offset: 0x800, data: big }] })).rejects.toMatchObject({
        code: "PLAN_INVALID",
        message: expect.stringContaining("aligned to 4096"),
      });
      expect(loads()).toEqual([]);
    } finally {
      await s.close();
    }
  });
});

describe("flashing", () => {
  it("writes a UF2 region where it belongs and verifies it by read-back", async () => {
    const board = lab.addBoard({ location: "1-2" });
    const s = await createPicoDriver(lab.driverOptions).open({ path: "usb:1-2" });
    try {
      const data = testImage(6000, 8);
      const plan = {
        regions: [
          { name: "app", offset: 0x2000, data: writeUf2(data, { family: "rp2040", address: 0x1000_2000 }) },
        ],
      };
      const result = await s.flash(plan);
      expect(result.bytesWritten).toBe(24 * 256);
      expect(Buffer.from(board.flash.read(0x2000, 6000)).equals(Buffer.from(data))).toBe(true);
      expect((await s.verify(plan)).ok).toBe(true);
    } finally {
      await s.close();
    }
  });

  it("with verifyOnLoad, a flash that reads back wrong fails VERIFY_FAILED", async () => {
    const board = lab.addBoard({ location: "1-2" });
    board.flash.corruptAt = 0x1800;
    const s = await createPicoDriver(lab.driverOptions).open(
      { path: "usb:1-2" },
      { settings: { verifyOnLoad: true } },
    );
    try {
      await expect(
        s.flash({ regions: [{ name: "app", offset: 0, data: testImage(8192, 3) }] }),
      ).rejects.toMatchObject({
        code: "VERIFY_FAILED",
        retryable: true,
      });
      expect(loads()[0]).toContain("-v");
    } finally {
      await s.close();
    }
  });

  it("reset('bootloader') from BOOTSEL re-enumerates through picotool reboot -u", async () => {
    const board = lab.addBoard({ location: "1-2" });
    const s = await createPicoDriver(lab.driverOptions).open({ path: "usb:1-2" });
    try {
      const before = board.address;
      await s.reset("bootloader");
      expect(board.mode).toBe("bootsel");
      expect(board.address).not.toBe(before);
      // A blank board asked to run its application comes back in BOOTSEL: a coded error, not a hang.
      await expect(s.reset("app")).rejects.toMatchObject({ code: "FLASH_FAILED" });
    } finally {
      await s.close();
    }
  });
});

describe("many boards at once", () => {
  it("flashes three boards concurrently, each by its own bus/address, each with its own bytes", async () => {
    const boards = ["1-2", "1-3", "2-1"].map((location) => lab.addBoard({ location }));
    const driver = createPicoDriver(lab.driverOptions);
    await Promise.all(
      boards.map(async (board, i) => {
        const s = await driver.open({ path: `usb:${board.location}` });
        try {
          await s.flash({ regions: [{ name: "app", offset: 0, data: testImage(12_288, 10 + i) }] });
          expect(
            (await s.verify({ regions: [{ name: "app", offset: 0, data: testImage(12_288, 10 + i) }] })).ok,
          ).toBe(true);
        } finally {
          await s.close();
        }
      }),
    );
    for (const [i, board] of boards.entries()) {
      expect(Buffer.from(board.flash.read(0, 12_288)).equals(Buffer.from(testImage(12_288, 10 + i)))).toBe(
        true,
      );
    }
  });
});

describe("BOOTSEL drive transport", () => {
  it("copies one UF2 for all regions to the board's drive, waits for it to vanish, and the board runs", async () => {
    const other = lab.addBoard({ location: "1-2" });
    const board = lab.addBoard({ location: "1-3", flashId: "cafef00d12345678" });
    board.flash.program(0, testImage(256, 1));
    lab.reboot(board, "app");
    await expect.poll(() => board.mode).toBe("app");
    const driver = createPicoDriver({ ...lab.driverOptions, transport: "drive" });
    expect(driver.capabilities.verify).toBe("none");
    const s = await driver.open({ path: "usb:1-3" });
    try {
      expect((await s.identify()).uniqueId).toBe("cafef00d12345678");
      const progress: number[] = [];
      const plan = {
        regions: [
          { name: "app", offset: 0, data: testImage(10_000, 5) },
          { name: "data", offset: 0x8000, data: testImage(300, 6) },
        ],
      };
      const result = await s.flash(plan, { onProgress: (p) => progress.push(p.bytesDone) });
      expect(result.regions.map((r) => r.skipped)).toEqual([false, false]);
      await expect.poll(() => board.mode).toBe("app");
      expect(Buffer.from(board.flash.read(0, 10_000)).equals(Buffer.from(testImage(10_000, 5)))).toBe(true);
      expect(Buffer.from(board.flash.read(0x8000, 300)).equals(Buffer.from(testImage(300, 6)))).toBe(true);
      // The bootrom erased the rest of the sector it wrote: no stale bytes behind the image.
      expect(board.flash.read(10_240, 4096 - (10_240 % 4096)).every((x) => x === 0xff)).toBe(true);
      expect(other.flash.read(0, 16).every((x) => x === 0xff)).toBe(true);
      expect(lab.picotool.calls).toEqual([]);
      await expect(s.verify(plan)).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
    } finally {
      await s.close();
    }
  });

  it("writes a valid UF2 and fails TIMEOUT when the drive never takes it", async () => {
    lab.addBoard({ location: "1-2", family: "rp2350", flashId: "00112233445566ff" });
    const stuck = path.join(lab.dir, "stuck-drive");
    await mkdir(stuck);
    await writeFile(
      path.join(stuck, "INFO_UF2.TXT"),
      "UF2 Bootloader v1.0\nModel: Raspberry Pi RP2350\nBoard-ID: RP2350\n",
    );
    const driver = createPicoDriver({
      ...lab.driverOptions,
      transport: "drive",
      drivePath: stuck,
      driveTimeoutMs: 200,
    });
    const s = await driver.open({ path: "usb:1-2" });
    try {
      expect((await s.identify()).uniqueId).toBe("00112233445566ff");
      const plan = {
        regions: [
          { name: "a", offset: 0, data: testImage(700, 1) },
          { name: "b", offset: 0x1000, data: testImage(256, 2) },
        ],
      };
      await expect(s.flash(plan)).rejects.toMatchObject({ code: "TIMEOUT" });
      const file = await readFile(path.join(stuck, "FIRMWARE.UF2"));
      const image = readUf2(file, { family: "rp2350" });
      expect(image.blocks).toBe(4);
      expect(image.ignoredFamilyIds).toEqual([0xe48bff57]);
      expect(image.ranges).toEqual([
        { address: 0x1000_0000, size: 768 },
        { address: 0x1000_1000, size: 256 },
      ]);
    } finally {
      await s.close();
    }
  });

  it("cannot identify an RP2040 opened in BOOTSEL without picotool", async () => {
    lab.addBoard({ location: "1-2" });
    const s = await createPicoDriver({ ...lab.driverOptions, transport: "drive" }).open({ path: "usb:1-2" });
    try {
      await expect(s.identify()).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
      // Modes outside the drive transport's capabilities are refused, never a silent no-op.
      await expect(s.reset("app")).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
      await expect(s.reset("hard")).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
      await s.reset("bootloader");
    } finally {
      await s.close();
    }
  });
});
