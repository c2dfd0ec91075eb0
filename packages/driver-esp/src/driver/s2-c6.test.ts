import { type FlashPlan, isFactoryError } from "@factory/core";
import { describe, expect, it } from "vitest";
import { CHIPS } from "../protocol/chips";
import { loadStubImage } from "../protocol/stub-image";
import {
  createEspSimulator,
  EspSimBinding,
  type EspSimulatorOptions,
  makeFirmwareImage,
  makePartitionTable,
} from "../simulator";
import { createEspDriver } from "./driver";
import type { EspDriverOptions } from "./options";

async function bench(simOptions: EspSimulatorOptions, driverOptions: EspDriverOptions = {}) {
  const sim = await createEspSimulator({ seed: 8, ...simOptions });
  const binding = new EspSimBinding().add("sim:a", sim);
  return { sim, driver: createEspDriver({ binding, ...driverOptions }) };
}

function plan(chip: "esp32s2" | "esp32c6"): FlashPlan {
  return {
    regions: [
      {
        name: "bootloader",
        offset: CHIPS[chip].bootloaderOffset,
        data: makeFirmwareImage({ size: 20_000, chip, seed: 31 }),
      },
      { name: "partition-table", offset: 0x8000, data: makePartitionTable() },
      { name: "app", offset: 0x10000, data: makeFirmwareImage({ size: 120_000, chip, seed: 32 }) },
    ],
  };
}

describe("ESP32-S2 and ESP32-C6", () => {
  it.each([
    ["esp32s2", 0x1000, "7c:df:a1:00:00:01"],
    ["esp32c6", 0x0, "40:4c:ca:00:00:02"],
  ] as const)(
    "%s: bootloader at %i, ROM baud change before the stub, written byte for byte, console after reset",
    async (chip, boot, mac) => {
      const { sim, driver } = await bench({ chip, mac });
      const session = await driver.open({ path: "sim:a" });
      expect(await session.identify()).toMatchObject({ family: chip, chip: CHIPS[chip].name, mac });
      const p = plan(chip);
      expect(p.regions[0]?.offset).toBe(boot);
      await session.flash(p);
      for (const r of p.regions)
        expect(Buffer.from(sim.readFlashImage(r.offset, r.data.length)).equals(Buffer.from(r.data))).toBe(
          true,
        );
      // The ROM took CHANGE_BAUDRATE, the stub ran (FLASH_DEFL_* with the stub's 4-word begin).
      expect(sim.stats.commands["0x0f"]).toBeGreaterThanOrEqual(1);
      expect(sim.stats.commands["0x11"]).toBeGreaterThan(0);
      expect((await session.verify(p)).ok).toBe(true);
      await session.reset("app");
      const console = await session.openConsole();
      await console.writeLine("info");
      expect(await console.expect(/^OK/, { timeoutMs: 2000 })).toBe(`OK ${CHIPS[chip].name} ${mac}`);
      await console.close();
      await session.close();
    },
  );

  it("refuses an image built for the other chip (image chip id 13 on an ESP32-S2)", async () => {
    const { sim, driver } = await bench({ chip: "esp32s2" });
    const session = await driver.open({ path: "sim:a" });
    const wrong = {
      regions: [{ name: "app", offset: 0x10000, data: makeFirmwareImage({ size: 4096, chip: "esp32c6" }) }],
    };
    const error = await session.flash(wrong).catch((e: unknown) => e);
    expect(isFactoryError(error, "IMAGE_INVALID")).toBe(true);
    expect((error as Error).message).toMatch(/chip id 13.*ESP32-S2 \(chip id 2\)/);
    expect(sim.stats.commands["0x11"]).toBeUndefined();
    await session.close();
  });

  it("detects a C6 whose magic value is not in the table by its GET_SECURITY_INFO chip id", async () => {
    const { sim, driver } = await bench({ chip: "esp32c6", magic: 0x1234506f });
    const session = await driver.open({ path: "sim:a" });
    expect((await session.identify()).family).toBe("esp32c6");
    expect(sim.stats.commands["0x14"]).toBeGreaterThanOrEqual(1);
    await session.close();
  });

  it("names magic and chip id when neither is known; an S2 with an unknown magic has no chip id to offer", async () => {
    const unknownS2 = await bench({ chip: "esp32s2", magic: 0xabcd });
    const e1 = await unknownS2.driver.open({ path: "sim:a" }).catch((e: unknown) => e);
    expect(isFactoryError(e1, "ESP_UNKNOWN_CHIP")).toBe(true);
    expect((e1 as Error).message).toMatch(/magic 0xabcd, which/);
    expect(unknownS2.sim.stats.commands["0x14"]).toBeGreaterThanOrEqual(1);
    // An ESP32 ROM refuses GET_SECURITY_INFO: unknown as well, not a sync failure.
    const unknown32 = await bench({ chip: "esp32", magic: 0xabce });
    const e2 = await unknown32.driver.open({ path: "sim:a" }).catch((e: unknown) => e);
    expect(isFactoryError(e2, "ESP_UNKNOWN_CHIP")).toBe(true);
  });

  it("C6 on its USB-Serial-JTAG port (303A:1001) is reset into download mode by the usb-jtag sequence", async () => {
    const { driver } = await bench({ chip: "esp32c6", resetCircuit: "usb-jtag" });
    const session = await driver.open({ path: "sim:a", vendorId: 0x303a, productId: 0x1001 });
    expect((await session.identify()).family).toBe("esp32c6");
    await session.close();
  });

  it("reset usb-jtag on an ESP32-S2 (no USB-Serial-JTAG) fails with SYNC_FAILED saying which ports take it", async () => {
    const { driver } = await bench({ chip: "esp32s2" }, { reset: "usb-jtag", connectAttempts: 1 });
    const error = await driver.open({ path: "sim:a" }).catch((e: unknown) => e);
    expect(isFactoryError(error, "SYNC_FAILED")).toBe(true);
    expect((error as Error).message).toMatch(/303A:1001.*ESP32-S2's USB-OTG port take reset classic/);
  });

  it("ESP32-S2 on its USB-OTG port (303A:0002): hinted by list(), classic reset, stub uploaded in 0x800-byte blocks", async () => {
    const usb = { vendorId: 0x303a, productId: 0x0002 };
    const { sim, driver } = await bench({ chip: "esp32s2", usb });
    const [port] = await driver.list();
    expect(port?.familyHint).toBe("esp32s2");
    const session = await driver.open(port!);
    await session.flash({ regions: [plan("esp32s2").regions[2]!] });
    const stub = await loadStubImage("ESP32-S2");
    const blocks = Math.ceil(stub.text.length / 0x800) + Math.ceil(stub.data.length / 0x800);
    expect(sim.stats.commands["0x07"]).toBe(blocks);
    await session.close();
  });
});
