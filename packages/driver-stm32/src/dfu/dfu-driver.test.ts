import { existsSync } from "node:fs";
import { type FlashPlan, isFactoryError } from "@factory/core";
import { describeBoardDriverConformance } from "@factory/core/testing";
import { describe, expect, it } from "vitest";
import { Stm32Driver } from "../driver/driver";
import { FakeDfuDevice, FakeUsbHost } from "../simulator/fake-usb";
import { DfuState, DfuStatus } from "./constants";

const BASE = 0x0800_0000;
const pattern = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);

function rig(options: ConstructorParameters<typeof FakeDfuDevice>[0] = {}) {
  const device = new FakeDfuDevice({ ports: [2, 1], ...options });
  const host = new FakeUsbHost([device]);
  const driver = new Stm32Driver({ transport: "dfu", usb: host });
  return { device, host, driver, port: { path: "usb:1-2.1" } };
}

const plan = (): FlashPlan => ({
  regions: [
    { name: "app", offset: BASE, data: pattern(5000, 1) },
    { name: "config", offset: BASE + 0x4000 + 100, data: pattern(300, 2) },
  ],
});

describe("STM32 over DFU (simulated DfuSe device)", () => {
  it("clears the dfuERROR state real parts start in and identifies the part by its UID", async () => {
    const { device, driver, port } = rig({ chip: { seed: 3 } });
    expect(device.model.state).toBe(DfuState.dfuERROR);
    const session = await driver.open(port);
    try {
      expect(device.model.state).toBe(DfuState.dfuIDLE);
      const id = await session.identify();
      const uid = device.chip.uid.map((w) => w.toString(16).padStart(8, "0")).join("");
      expect(id).toMatchObject({ family: "stm32", uniqueId: uid, flashSize: 1024 * 1024 });
      // DFU has no Get ID: parts with the same flash layout are all named.
      expect(id.chip).toContain("STM32F40x/41x");
      expect(id.extra).toMatchObject({ uidSource: "uid96", transferSize: 2048, usbLocation: "1-2.1" });
    } finally {
      await session.close();
    }
    const named = await driver.open(port, { settings: { productId: 0x413 } });
    try {
      expect(await named.identify()).toMatchObject({
        chip: "STM32F40x/41x",
        extra: { productId: "0x413", series: "F4" },
      });
    } finally {
      await named.close();
    }
  });

  it("falls back to the USB serial, marked as such, where the UID cannot be uploaded", async () => {
    const { device, driver, port } = rig({ uploadOutsideAlt: false, serialNumber: "315A28A0B956" });
    const session = await driver.open(port);
    try {
      const id = await session.identify();
      expect(id.uniqueId).toBe("usbsn-315a28a0b956");
      expect(id.extra?.uidSource).toBe("usb-serial");
      expect(device.model.state).toBe(DfuState.dfuIDLE);
    } finally {
      await session.close();
    }
  });

  it("erases only the sectors the plan touches, once, and keeps the rest", async () => {
    const { device, driver, port } = rig();
    const keep = pattern(64, 9);
    device.chip.flash.set(keep, 0x2_0000); // sector 5, outside the plan
    device.chip.flash.set(pattern(16, 4), 0x4000 + 4000); // sector 1, inside: erased first
    const session = await driver.open(port);
    try {
      const result = await session.flash(plan());
      expect(result.bytesWritten).toBe(5300);
      expect(device.chip.flash.subarray(0x2_0000, 0x2_0000 + 64)).toEqual(keep);
      expect(device.chip.flash.subarray(0, 5000)).toEqual(plan().regions[0]!.data);
      expect(device.chip.flash.subarray(0x4000 + 100, 0x4000 + 400)).toEqual(plan().regions[1]!.data);
      expect(device.chip.flash[0x4000 + 4000]).toBe(0xff);
      expect(device.model.pollViolations).toBe(0);
      expect((await session.verify(plan())).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("waits the device's bwPollTimeout before every GETSTATUS", async () => {
    const { device, driver, port } = rig();
    device.faults.pollTimeoutMs = 12;
    const session = await driver.open(port);
    try {
      await session.flash({
        regions: [
          { name: "app", offset: BASE, data: pattern(6000, 5) },
          { name: "b", offset: BASE + 0x8000, data: pattern(10, 1) },
        ],
      });
      expect(device.model.pollViolations).toBe(0);
      expect(device.model.blocksWritten).toBe(4);
    } finally {
      await session.close();
    }
  });

  it("reports a failed block write with its DFU status and stays usable", async () => {
    const { device, driver, port } = rig();
    device.faults.failWriteAt = { address: BASE + 2048, status: DfuStatus.errPROG };
    const session = await driver.open(port);
    try {
      const error = await session.flash(plan()).catch((e: unknown) => e);
      expect(isFactoryError(error, "STM32_DFU_STATUS")).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({
        statusName: "errPROG",
      });
      expect(device.model.state).toBe(DfuState.dfuIDLE);
      await session.flash(plan());
      expect((await session.verify(plan())).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("refuses a read-protected part with READ_PROTECTED and writes nothing", async () => {
    const { device, driver, port } = rig({ chip: { readProtected: true } });
    const session = await driver.open(port);
    try {
      await expect(session.identify()).rejects.toMatchObject({ code: "READ_PROTECTED" });
      await expect(session.flash(plan())).rejects.toMatchObject({ code: "READ_PROTECTED" });
      expect(device.chip.flash.every((b) => b === 0xff)).toBe(true);
      expect(device.model.blocksWritten).toBe(0);
    } finally {
      await session.close();
    }
  });

  it("rejects an image larger than the flash before touching the device", async () => {
    const { device, driver, port } = rig({ chip: { flashSize: 256 * 1024, pid: 0x423 } });
    device.chip.flash.fill(0x11, 0, 16);
    const session = await driver.open(port);
    try {
      const big = { regions: [{ name: "app", offset: BASE, data: new Uint8Array(256 * 1024 + 4) }] };
      await expect(session.flash(big)).rejects.toMatchObject({ code: "IMAGE_TOO_LARGE" });
      expect(device.chip.flash.subarray(0, 16).every((b) => b === 0x11)).toBe(true);
      expect(device.model.blocksWritten).toBe(0);
    } finally {
      await session.close();
    }
  });

  it("leaves DFU into the application with a zero-length DNLOAD", async () => {
    const { device, driver, port } = rig();
    const session = await driver.open(port);
    try {
      await session.flash(plan());
      await session.reset("app");
      await new Promise((r) => setTimeout(r, 5));
      expect(device.detached).toBe("manifest");
      expect(device.chip.runningFrom).toBe(BASE);
      await expect(session.identify()).resolves.toBeDefined(); // cached identity still readable
      await expect(session.verify(plan())).rejects.toMatchObject({ code: "PORT_DISCONNECTED" });
    } finally {
      await session.close();
    }
  });

  it("selects by location when DFU serial numbers collide, and refuses to guess by serial", async () => {
    const a = new FakeDfuDevice({ ports: [1], serialNumber: "SAME", chip: { seed: 1 } });
    const b = new FakeDfuDevice({ ports: [2], serialNumber: "SAME", chip: { seed: 2 } });
    const driver = new Stm32Driver({ transport: "dfu", usb: new FakeUsbHost([a, b]) });
    expect((await driver.list()).map((p) => p.path)).toEqual(["usb:1-1", "usb:1-2"]);
    await expect(driver.open({ path: "usb:serial=SAME" })).rejects.toMatchObject({
      code: "DUPLICATE_IDENTITY",
    });
    const sa = await driver.open({ path: "usb:1-1" });
    const sb = await driver.open({ path: "usb:1-2" });
    try {
      const [ia, ib] = [await sa.identify(), await sb.identify()];
      expect(ia.uniqueId).not.toBe(ib.uniqueId);
      await sa.flash({ regions: [{ name: "app", offset: BASE, data: pattern(100, 1) }] });
      expect(a.chip.flash[0]).toBe(pattern(1, 1)[0]);
      expect(b.chip.flash[0]).toBe(0xff);
    } finally {
      await sa.close();
      await sb.close();
    }
  });

  it("reports two ports with the same unique ID and flashes neither twice over", async () => {
    const uid = [1, 2, 3] as const;
    const a = new FakeDfuDevice({ ports: [1], chip: { uid } });
    const b = new FakeDfuDevice({ ports: [2], chip: { uid } });
    const driver = new Stm32Driver({ transport: "dfu", usb: new FakeUsbHost([a, b]) });
    const sa = await driver.open({ path: "usb:1-1" });
    const sb = await driver.open({ path: "usb:1-2" });
    try {
      await sa.identify();
      await expect(sb.identify()).rejects.toMatchObject({ code: "DUPLICATE_IDENTITY" });
      await expect(sb.flash(plan())).rejects.toMatchObject({ code: "DUPLICATE_IDENTITY" });
      expect(b.model.blocksWritten).toBe(0);
    } finally {
      await sa.close();
      await sb.close();
    }
  });

  it("opens by unique ID", async () => {
    const a = new FakeDfuDevice({ ports: [1], chip: { seed: 5 } });
    const b = new FakeDfuDevice({ ports: [2], chip: { seed: 6 } });
    const driver = new Stm32Driver({ transport: "dfu", usb: new FakeUsbHost([a, b]) });
    const uid = b.chip.uid.map((w) => w.toString(16).padStart(8, "0")).join("");
    const session = await driver.open({ path: `usb:uid=${uid}` });
    try {
      expect((await session.identify()).extra?.usbLocation).toBe("1-2");
    } finally {
      await session.close();
    }
    await expect(driver.open({ path: `usb:uid=${"0".repeat(24)}` })).rejects.toMatchObject({
      code: "PORT_NOT_FOUND",
    });
  });

  it("turns a host without USB into STM32_USB_UNAVAILABLE", async () => {
    const { host, driver, port } = rig();
    host.failure = new Error("getDevices error: /sys/bus/usb/devices/ not found (errno 2)");
    await expect(driver.list()).rejects.toMatchObject({ code: "STM32_USB_UNAVAILABLE" });
    await expect(driver.open(port)).rejects.toMatchObject({ code: "STM32_USB_UNAVAILABLE" });
  });

  it.runIf(!existsSync("/sys/bus/usb/devices"))(
    "the real usb package on a host without /sys/bus/usb gives a coded error",
    async () => {
      const driver = new Stm32Driver({ transport: "dfu" });
      await expect(driver.list()).rejects.toMatchObject({ code: "STM32_USB_UNAVAILABLE" });
    },
  );

  it("rejects ports it cannot parse", async () => {
    const { driver } = rig();
    await expect(driver.open({ path: "usb:nonsense=1" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });
});

describeBoardDriverConformance("stm32 over simulated DFU", async () => {
  const { device, driver, port } = rig({ chip: { seed: 11 } });
  return {
    driver,
    port,
    emptyPort: { path: "usb:9-9" },
    plan: plan(),
    readBack: async (offset, length) => device.chip.read(offset, length)!,
    unplug: () => device.unplug(),
  };
});
