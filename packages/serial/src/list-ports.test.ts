import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { listSerialPorts } from "./list-ports";
import { createSimBinding } from "./sim/binding";
import { IncrementingDevice } from "./test-devices";

describe("listSerialPorts", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("uses the binding's list when it works", async () => {
    const binding = createSimBinding();
    binding.add("sim:a", new IncrementingDevice(), {
      usb: { vendorId: "2341", productId: "0043", serialNumber: "S1" },
    });
    expect(await listSerialPorts({ binding })).toEqual([
      {
        path: "sim:a",
        vendorId: 0x2341,
        productId: 0x43,
        serialNumber: "S1",
        manufacturer: "factory simulator",
      },
    ]);
  });

  it("falls back to /dev/serial/by-path and by-id when the binding rejects (no udev)", async () => {
    const dev = mkdtempSync(path.join(tmpdir(), "factory-dev-"));
    dirs.push(dev);
    for (const tty of ["ttyUSB0", "ttyACM0"]) writeFileSync(path.join(dev, tty), "");
    mkdirSync(path.join(dev, "serial", "by-path"), { recursive: true });
    mkdirSync(path.join(dev, "serial", "by-id"), { recursive: true });
    symlinkSync("../../ttyUSB0", path.join(dev, "serial", "by-path", "pci-0000:00:14.0-usb-0:2.3:1.0-port0"));
    symlinkSync(
      "../../ttyUSB0",
      path.join(dev, "serial", "by-id", "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0"),
    );
    symlinkSync(
      "../../ttyACM0",
      path.join(dev, "serial", "by-id", "usb-Arduino__www.arduino.cc__0043_75833353035351F0E1A1-if00"),
    );
    const failing = {
      list: async () => {
        throw Object.assign(new Error("spawn udevadm ENOENT"), { code: "ENOENT" });
      },
      open: async () => {
        throw new Error("unused");
      },
    };
    const ports = await listSerialPorts({ binding: failing, devDir: dev });
    expect(ports).toEqual([
      {
        path: path.join(dev, "serial", "by-path", "pci-0000:00:14.0-usb-0:2.3:1.0-port0"),
        label: "ttyUSB0",
        location: "2.3",
        serialNumber: "A50285BI",
        manufacturer: "FTDI",
      },
      {
        path: path.join(
          dev,
          "serial",
          "by-id",
          "usb-Arduino__www.arduino.cc__0043_75833353035351F0E1A1-if00",
        ),
        label: "ttyACM0",
        serialNumber: "75833353035351F0E1A1",
        manufacturer: "Arduino",
      },
    ]);
  });

  it("returns an empty list when neither udev nor /dev/serial exist", async () => {
    const dev = mkdtempSync(path.join(tmpdir(), "factory-dev-"));
    dirs.push(dev);
    const failing = {
      list: () => Promise.reject(new Error("spawn udevadm ENOENT")),
      open: () => Promise.reject(new Error("unused")),
    };
    expect(await listSerialPorts({ binding: failing, devDir: dev })).toEqual([]);
  });
});
