import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findBootselDrives, parseInfoUf2 } from "./bootsel-drive";
import { copyUf2ToDrive } from "./drive-copy";
import { listUsbDevices, locationInSysfsPath, ttysOf } from "./sysfs";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pico-usb-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function usbDevice(root: string, location: string, attrs: Record<string, string>): Promise<void> {
  await mkdir(path.join(root, location), { recursive: true });
  for (const [k, v] of Object.entries(attrs)) await writeFile(path.join(root, location, k), `${v}\n`);
}

describe("sysfs", () => {
  it("lists devices by location, skipping interfaces, hubs' roots and half-written entries", async () => {
    const root = path.join(dir, "devices");
    await usbDevice(root, "1-2.3", {
      busnum: "1",
      devnum: "17",
      idVendor: "2e8a",
      idProduct: "0003",
      serial: "E0C9125B0D9B",
    });
    await usbDevice(root, "usb1", { busnum: "1", devnum: "1", idVendor: "1d6b", idProduct: "0002" });
    await usbDevice(root, "1-4", { busnum: "1" });
    await mkdir(path.join(root, "1-2.3:1.0", "tty", "ttyACM3"), { recursive: true });
    expect(await listUsbDevices(root)).toEqual([
      {
        location: "1-2.3",
        bus: 1,
        address: 17,
        vendorId: 0x2e8a,
        productId: 0x0003,
        serialNumber: "E0C9125B0D9B",
      },
    ]);
    expect(await ttysOf(root, "1-2.3")).toEqual(["ttyACM3"]);
    expect(await listUsbDevices(path.join(dir, "missing"))).toEqual([]);
  });

  it("finds the USB location in a block device's sysfs path", () => {
    expect(
      locationInSysfsPath(
        "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2.3/1-2.3:1.0/host6/target6:0:0/6:0:0:0/block/sdc/sdc1",
      ),
    ).toBe("1-2.3");
    expect(locationInSysfsPath("/sys/devices/virtual/block/loop0")).toBeUndefined();
  });
});

describe("BOOTSEL drives", () => {
  it("parses INFO_UF2.TXT", () => {
    expect(parseInfoUf2("UF2 Bootloader v3.0\r\nModel: Raspberry Pi RP2\r\nBoard-ID: RPI-RP2\r\n")).toEqual({
      bootloaderVersion: "3.0",
      model: "Raspberry Pi RP2",
      boardId: "RPI-RP2",
    });
  });

  it("finds mounted drives from the mount table, with escaped paths and their board's location", async () => {
    const mount = path.join(dir, "media", "RPI RP2");
    await mkdir(mount, { recursive: true });
    await writeFile(
      path.join(mount, "INFO_UF2.TXT"),
      "UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\nBoard-ID: RPI-RP2\n",
    );
    const other = path.join(dir, "media", "USBSTICK");
    await mkdir(other, { recursive: true });
    const blockDir = path.join(dir, "sys", "usb1", "1-5", "1-5:1.0", "host2", "block", "sdd", "sdd1");
    await mkdir(blockDir, { recursive: true });
    await mkdir(path.join(dir, "class"));
    await symlink(blockDir, path.join(dir, "class", "sdd1"));
    const mounts = [
      "/dev/sda1 / ext4 rw 0 0",
      `/dev/sdd1 ${mount.replace(" ", "\\040")} vfat rw 0 0`,
      `/dev/sde1 ${other} vfat rw 0 0`,
    ].join("\n");
    await writeFile(path.join(dir, "mounts"), mounts);
    const drives = await findBootselDrives({
      mountsFile: path.join(dir, "mounts"),
      blockClass: path.join(dir, "class"),
    });
    expect(drives).toEqual([
      {
        mountPoint: mount,
        device: "/dev/sdd1",
        location: "1-5",
        info: { bootloaderVersion: "3.0", model: "Raspberry Pi RP2", boardId: "RPI-RP2" },
      },
    ]);
  });

  it("copies, fsyncs and waits for the drive to vanish; aborts are honoured", async () => {
    const mount = path.join(dir, "RPI-RP2");
    await mkdir(mount);
    await writeFile(path.join(mount, "INFO_UF2.TXT"), "UF2 Bootloader v3.0\n");
    const uf2 = new Uint8Array(100 * 512).fill(7);
    const done: number[] = [];
    // The "bootrom" reboots a little after the last byte arrived: the drive goes away.
    const onProgress = (n: number): void => {
      done.push(n);
      if (n === uf2.length) setTimeout(() => void rm(mount, { recursive: true, force: true }), 60);
    };
    await copyUf2ToDrive(mount, uf2, { onProgress, pollMs: 10 });
    expect(done.at(-1)).toBe(uf2.length);
    const stuck = path.join(dir, "RPI-RP21");
    await mkdir(stuck);
    await writeFile(path.join(stuck, "INFO_UF2.TXT"), "x");
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(copyUf2ToDrive(stuck, uf2, { signal: controller.signal, pollMs: 10 })).rejects.toMatchObject(
      {
        code: "ABORTED",
      },
    );
  });
});
