import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { openSerialLink } from "@factory/serial";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testImage } from "../test-support";
import { writeUf2 } from "../uf2/writer";
import { createPicoLab, type PicoLab } from "./lab";

let lab: PicoLab;
beforeEach(async () => {
  lab = await createPicoLab({ rebootDelayMs: 40 });
});
afterEach(async () => {
  await lab.close();
});

describe("simulated BOOTSEL drive", () => {
  it("shows INFO_UF2.TXT and lists the drive in the mount table while in BOOTSEL", async () => {
    const board = lab.addBoard({ location: "1-2" });
    const mount = lab.drivePath(board)!;
    expect(await readFile(path.join(mount, "INFO_UF2.TXT"), "utf8")).toBe(
      "UF2 Bootloader v3.0\r\nModel: Raspberry Pi RP2\r\nBoard-ID: RPI-RP2\r\n",
    );
    expect(await readFile(lab.driverOptions.mountsFile, "utf8")).toContain(`/dev/sdb1 ${mount} vfat`);
  });

  it("writes a UF2 copied onto it, reboots once every block is in, and then runs the application", async () => {
    const board = lab.addBoard({ location: "1-2" });
    const data = testImage(3000, 4);
    await writeFile(path.join(lab.drivePath(board)!, "NEW.UF2"), writeUf2(data, { family: "rp2040" }));
    await expect.poll(() => board.mode).toBe("app");
    expect(Buffer.from(board.flash.read(0, 3000)).equals(Buffer.from(data))).toBe(true);
    expect(lab.drivePath(board)).toBeUndefined();
    expect(lab.ttyPath(board)).toMatch(/ttyACM0$/);
  });

  it("ignores blocks for another family, as the bootrom does", async () => {
    const board = lab.addBoard({ location: "1-2" });
    await writeFile(
      path.join(lab.drivePath(board)!, "NEW.UF2"),
      writeUf2(testImage(1024, 1), { family: "rp2350" }),
    );
    await new Promise((r) => setTimeout(r, 150));
    expect(board.mode).toBe("bootsel");
    expect(board.flash.read(0, 1024).every((b) => b === 0xff)).toBe(true);
  });

  it("an RP2350 skips the E10 block and takes its ARM image", async () => {
    const board = lab.addBoard({ location: "1-2", family: "rp2350" });
    const data = testImage(512, 6);
    await writeFile(path.join(lab.drivePath(board)!, "NEW.UF2"), writeUf2(data, { family: "rp2350" }));
    await expect.poll(() => board.mode).toBe("app");
    expect(Buffer.from(board.flash.read(0, 512)).equals(Buffer.from(data))).toBe(true);
  });
});

describe("simulated application port", () => {
  it("answers on its console and reboots into BOOTSEL on the 1200-baud touch", async () => {
    const board = lab.addBoard({ location: "1-2", flashId: "1122334455667788" });
    board.flash.program(0, testImage(64, 1));
    lab.reboot(board, "app");
    await expect.poll(() => board.mode).toBe("app");
    const tty = lab.ttyPath(board)!;
    const link = await openSerialLink(tty, { baudRate: 115200, binding: lab.binding });
    await link.write(Buffer.from("info\r\n"));
    const line = await link.readUntil(0x0a, { timeoutMs: 1000 });
    expect(Buffer.from(line).toString()).toBe("OK RP2040 1122334455667788\r\n");
    await link.close();
    const before = board.address;
    const touch = await openSerialLink(tty, { baudRate: 1200, binding: lab.binding });
    await touch.close();
    await expect.poll(() => board.mode).toBe("bootsel");
    expect(board.address).not.toBe(before);
  });
});
