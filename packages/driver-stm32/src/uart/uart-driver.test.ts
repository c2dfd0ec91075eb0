import { type FlashPlan, isFactoryError } from "@factory/core";
import { describeBoardDriverConformance } from "@factory/core/testing";
import { createSimBinding } from "@factory/serial";
import { describe, expect, it } from "vitest";
import { Stm32Driver } from "../driver/driver";
import { An3155Simulator, type An3155SimulatorOptions } from "../simulator/an3155-device";
import { appImage } from "../simulator/app-image";
import { Cmd } from "./constants";

const BASE = 0x0800_0000;
const pattern = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed * 31 + (i >> 7)) & 0xff);

function rig(
  sim: An3155SimulatorOptions = {},
  driverOptions: ConstructorParameters<typeof Stm32Driver>[0] = {},
) {
  const binding = createSimBinding();
  const device = new An3155Simulator(sim);
  const cable = binding.add("sim:stm32-0", device);
  const driver = new Stm32Driver({ transport: "uart", binding, ...driverOptions });
  return { binding, device, cable, driver, port: { path: "sim:stm32-0" } };
}

const plan = (): FlashPlan => ({
  regions: [
    { name: "app", offset: BASE, data: appImage(3000, 1) },
    { name: "serial", offset: BASE + 0x4000, data: pattern(37, 2) },
  ],
});

describe("STM32 over the UART bootloader (simulated AN3155)", () => {
  it("syncs, reads the product ID, flash size and the 96-bit UID", async () => {
    const { device, driver, port } = rig({ chip: { pid: 0x413, flashSize: 512 * 1024, seed: 4 } });
    const session = await driver.open(port);
    try {
      const id = await session.identify();
      expect(id).toMatchObject({ family: "stm32", chip: "STM32F40x/41x", flashSize: 512 * 1024 });
      expect(id.uniqueId).toBe(device.chip.uid.map((w) => w.toString(16).padStart(8, "0")).join(""));
      expect(id.extra).toMatchObject({ productId: "0x413", bootloaderVersion: "3.1", transport: "uart" });
      expect(device.commands.slice(0, 2)).toEqual([Cmd.GET, Cmd.GET_ID]);
    } finally {
      await session.close();
    }
  });

  it("writes and reads back through Extended Erase, Write Memory and Read Memory", async () => {
    const { device, driver, port } = rig();
    device.chip.flash.fill(0x42, 0x2_0000, 0x2_0010); // sector 5, outside the plan
    const session = await driver.open(port);
    try {
      await session.flash(plan());
      expect(device.chip.flash.subarray(0, 3000)).toEqual(plan().regions[0]!.data);
      expect(device.chip.flash.subarray(0x4000, 0x4000 + 37)).toEqual(plan().regions[1]!.data);
      expect(device.chip.flash[0x4000 + 37]).toBe(0xff); // padding of the last word is the erased value
      expect(device.chip.flash[0x2_0000]).toBe(0x42);
      expect(device.commands).toContain(Cmd.EXTENDED_ERASE);
      expect((await session.verify(plan())).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("uses the legacy Erase (0x43) on bootloaders without Extended Erase, with 1 KB pages on an F1", async () => {
    const { device, driver, port } = rig({ chip: { pid: 0x410 }, eraseCommand: 0x43, version: 0x22 });
    device.chip.flash.fill(0x00, 0, 4096);
    const session = await driver.open(port);
    try {
      const region = { name: "app", offset: BASE + 1024, data: pattern(1500, 3) };
      await session.flash({ regions: [region] });
      expect(device.commands).toContain(Cmd.ERASE);
      expect(device.chip.flash[0]).toBe(0x00); // page 0 untouched
      expect(device.chip.flash.subarray(1024, 2524)).toEqual(region.data);
      expect(device.chip.flash[2524]).toBe(0xff); // rest of page 2 erased
      expect(device.chip.flash[3072]).toBe(0x00); // page 3 untouched
    } finally {
      await session.close();
    }
  });

  it("turns a NACKed data block into STM32_NACK naming the address", async () => {
    const { driver, port } = rig({ nackWriteAt: BASE + 512 });
    const session = await driver.open(port);
    try {
      const error = await session.flash(plan()).catch((e: unknown) => e);
      expect(isFactoryError(error, "STM32_NACK")).toBe(true);
      expect(String((error as Error).message)).toContain("0x08000200");
      await session.flash(plan());
      expect((await session.verify(plan())).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("refuses a read-protected part with READ_PROTECTED and changes nothing", async () => {
    const { device, driver, port } = rig({ chip: { readProtected: true } });
    device.chip.flash.fill(0x5a, 0, 64);
    const session = await driver.open(port);
    try {
      await expect(session.identify()).rejects.toMatchObject({ code: "READ_PROTECTED" });
      await expect(session.flash(plan())).rejects.toMatchObject({ code: "READ_PROTECTED" });
      expect(device.chip.flash.subarray(0, 64).every((b) => b === 0x5a)).toBe(true);
      expect(device.commands).not.toContain(Cmd.WRITE_MEMORY);
      expect(device.commands).not.toContain(Cmd.EXTENDED_ERASE);
    } finally {
      await session.close();
    }
  });

  it("rejects a .bin larger than the flash and an unaligned region before sending anything", async () => {
    const { device, driver, port } = rig({ chip: { pid: 0x410 } });
    const session = await driver.open(port);
    try {
      const before = device.commands.length;
      await expect(
        session.flash({ regions: [{ name: "app", offset: BASE, data: new Uint8Array(128 * 1024 + 1) }] }),
      ).rejects.toMatchObject({
        code: "IMAGE_TOO_LARGE",
      });
      await expect(
        session.flash({ regions: [{ name: "app", offset: BASE + 2, data: new Uint8Array(8) }] }),
      ).rejects.toMatchObject({
        code: "PLAN_INVALID",
      });
      expect(device.commands.length).toBe(before);
    } finally {
      await session.close();
    }
  });

  it("reports SYNC_FAILED for a port whose part never answers, and probe says absent", async () => {
    const { device, driver, port } = rig({ wiring: { reset: "rts", boot0: "dtr" } });
    // Driver without wiring: the part is held in reset by RTS (asserted when the port opens).
    const plain = new Stm32Driver({
      transport: "uart",
      binding: driver.options.binding!,
      uartTimeouts: { ack: 200 },
    });
    await expect(plain.open(port)).rejects.toMatchObject({ code: "SYNC_FAILED" });
    expect(device.mode).not.toBe("command");
    expect((await plain.probe(port)).present).toBe(false);
  });

  it("resets into the bootloader and the application through the fixture's DTR/RTS wiring", async () => {
    const wiring = { reset: "rts", boot0: "dtr" } as const;
    const { device, driver, port } = rig({ wiring }, { wiring });
    const session = await driver.open(port);
    try {
      expect(device.mode).toBe("command");
      await session.flash(plan());
      await session.reset("app");
      expect(device.mode).toBe("app");
      expect(device.chip.runningFrom).toBe(BASE);
      await expect(session.verify(plan())).rejects.toMatchObject({ code: "SYNC_FAILED" });
      await session.reset("bootloader");
      expect(device.mode).toBe("command");
      expect((await session.verify(plan())).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("starts the application with Go when no reset line is wired", async () => {
    const { device, driver, port } = rig();
    const session = await driver.open(port);
    try {
      await session.reset("app");
      expect(device.commands.at(-1)).toBe(Cmd.GO);
      expect(device.chip.runningFrom).toBe(BASE);
      await expect(session.reset("bootloader")).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
    } finally {
      await session.close();
    }
  });

  it("reports two ports holding the same UID", async () => {
    const binding = createSimBinding();
    const uid = [0xaa, 0xbb, 0xcc] as const;
    binding.add("sim:a", new An3155Simulator({ chip: { uid } }));
    binding.add("sim:b", new An3155Simulator({ chip: { uid } }));
    const driver = new Stm32Driver({ transport: "uart", binding });
    const a = await driver.open({ path: "sim:a" });
    const b = await driver.open({ path: "sim:b" });
    try {
      await a.identify();
      await expect(b.flash(plan())).rejects.toMatchObject({ code: "DUPLICATE_IDENTITY" });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("recovers a bootloader that is already synchronised (0x7F answered with NACK)", async () => {
    const { driver, port } = rig();
    const first = await driver.open(port);
    await first.close();
    const again = await driver.open(port); // the simulated part stayed in command mode
    try {
      expect((await again.identify()).family).toBe("stm32");
    } finally {
      await again.close();
    }
  });
});

describeBoardDriverConformance("stm32 over simulated UART bootloader", async () => {
  const { device, driver, port, binding } = rig({ chip: { seed: 21 } });
  return {
    driver,
    port,
    emptyPort: { path: "sim:nothing" },
    plan: plan(),
    consoleProbe: { command: "info", expect: /^OK STM32F40x\/41x [0-9a-f]{24}$/ },
    readBack: async (offset, length) => device.chip.read(offset, length)!,
    unplug: () => binding.remove(port.path),
  };
});
