import { toIntelHex } from "@factory/core";
import { describeBoardDriverConformance } from "@factory/core/testing";
import { createSimBinding } from "@factory/serial";
import { describe, expect, it } from "vitest";
import { createOptibootSimulator } from "../simulator/index";
import { FAST_RESET, serialBytes, simulatedStation, sketch, unoPlan } from "../test-support";
import { createAvrDriver } from "./driver";

describeBoardDriverConformance("avr on the optiboot simulator (uno)", async () => {
  const { binding, sim, driver, path } = simulatedStation({ board: "uno" });
  return {
    driver,
    port: { path },
    emptyPort: { path: "sim:avr-empty" },
    plan: unoPlan(),
    consoleProbe: { command: "info", expect: /^OK ATmega328P/ },
    readBack: async (offset, length) => sim.flash.slice(offset, offset + length),
    unplug: () => binding.get(path)?.unplug(),
  };
});

describe("avr driver on the simulator", () => {
  it("identifies a blank board by its slot and a serialised one by its serial number", async () => {
    const { driver, path } = simulatedStation();
    const session = await driver.open({ path });
    try {
      const blank = await session.identify();
      expect(blank).toMatchObject({
        family: "avr",
        chip: "ATmega328P",
        uniqueId: "blank-sim:avr-0",
        flashSize: 0x8000,
      });
      expect(blank.extra).toMatchObject({
        signature: "1e950f",
        serialProgrammed: false,
        bootloader: "optiboot 8.3",
      });
      await session.flash(unoPlan("SN-000123"));
      const serialised = await session.identify();
      expect(serialised.uniqueId).toBe("sn-000123");
      expect(serialised.extra).toMatchObject({ serialNumber: "SN-000123", serialProgrammed: true });
    } finally {
      await session.close();
    }
  });

  it("writes an Intel HEX image and reads the same bytes back", async () => {
    const { driver, path, sim } = simulatedStation();
    const image = sketch(3000, 7);
    const hex = Buffer.from(toIntelHex(image, 0), "latin1");
    const session = await driver.open({ path });
    try {
      const result = await session.flash({ regions: [{ name: "blink.hex", offset: 0, data: hex }] });
      expect(result.regions[0]).toMatchObject({ offset: 0, size: 3000 });
      expect(Buffer.from(sim.flash.subarray(0, 3000)).equals(Buffer.from(image))).toBe(true);
      expect((await session.verify({ regions: [{ name: "blink.hex", offset: 0, data: hex }] })).ok).toBe(
        true,
      );
    } finally {
      await session.close();
    }
  });

  it("keeps the rest of a page when a region covers only part of it", async () => {
    const before = sketch(256, 3);
    const { driver, path, sim } = simulatedStation({ flash: before });
    const session = await driver.open({ path });
    try {
      await session.flash({ regions: [{ name: "patch", offset: 130, data: Uint8Array.of(1, 2, 3, 4, 5) }] });
      const expected = Uint8Array.from(before);
      expected.set([1, 2, 3, 4, 5], 130);
      expect([...sim.flash.subarray(0, 256)]).toEqual([...expected]);
    } finally {
      await session.close();
    }
  });

  it("rejects bad input before sending a byte: bad HEX checksum, over flash size, into the bootloader", async () => {
    const { driver, path, sim } = simulatedStation();
    const session = await driver.open({ path });
    const written = sim.stats.pagesWritten;
    try {
      const bad = Buffer.from(":0300300002337A1F\n:00000001FF\n", "latin1");
      const e1 = await session
        .flash({ regions: [{ name: "bad.hex", offset: 0, data: bad }] })
        .catch((e: unknown) => e);
      expect(e1).toMatchObject({ code: "IMAGE_INVALID" });
      expect((e1 as Error).message).toMatch(/bad\.hex line 1: checksum mismatch/);
      const big = await session
        .flash({ regions: [{ name: "big", offset: 0, data: new Uint8Array(0x8001) }] })
        .catch((e: unknown) => e);
      expect(big).toMatchObject({ code: "PLAN_INVALID" });
      const boot = await session
        .flash({ regions: [{ name: "sketch", offset: 0, data: new Uint8Array(0x7e00 + 2) }] })
        .catch((e: unknown) => e);
      expect(boot).toMatchObject({ code: "PLAN_INVALID" });
      expect((boot as Error).message).toMatch(/bootloader section at 0x7e00.*32256 bytes/);
      expect(sim.stats.pagesWritten).toBe(written);
      expect(sim.flash.subarray(0, 0x7e00).every((b) => b === 0xff)).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("refuses a whole-chip erase instead of pretending (optiboot has none)", async () => {
    const { driver, path, sim } = simulatedStation();
    const session = await driver.open({ path });
    try {
      await expect(session.flash({ ...unoPlan(), eraseAll: true })).rejects.toMatchObject({
        code: "NOT_SUPPORTED",
      });
      expect(sim.flash.subarray(0, 16).every((b) => b === 0xff)).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("refuses a board whose signature differs from the configured one", async () => {
    const { driver, path } = simulatedStation({ board: "mega2560-optiboot" }, { board: "uno" });
    const error = await driver.open({ path }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "DEVICE_MISMATCH",
      details: { expected: "1e950f", actual: "1e9801" },
    });
    expect((error as Error).message).toContain("ATmega2560");
  });

  it("talks to an old-bootloader Nano at 57600 and fails to sync at the Uno's 115200", async () => {
    const nano = simulatedStation({ board: "nano" }, { board: "nano" });
    const session = await nano.driver.open({ path: nano.path });
    await session.flash({ regions: [{ name: "sketch", offset: 0, data: sketch(500) }] });
    expect((await session.verify({ regions: [{ name: "sketch", offset: 0, data: sketch(500) }] })).ok).toBe(
      true,
    );
    await session.close();
    const wrong = simulatedStation({ board: "nano" }, { board: "uno", syncAttempts: 2 });
    const error = await wrong.driver.open({ path: wrong.path }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "SYNC_FAILED" });
    expect((error as Error).message).toMatch(/57600/);
  });

  it("writes above 128 KiB on a Mega 2560 with optiboot (word address bit 15)", async () => {
    const { driver, path, sim } = simulatedStation(
      { board: "mega2560-optiboot" },
      { board: "mega2560-optiboot" },
    );
    const session = await driver.open({ path });
    try {
      const high = sketch(600, 9);
      await session.flash({ regions: [{ name: "high", offset: 0x20100, data: high }] });
      expect(Buffer.from(sim.flash.subarray(0x20100, 0x20100 + 600)).equals(Buffer.from(high))).toBe(true);
      expect(sim.flash.subarray(0x100, 0x100 + 600).every((b) => b === 0xff)).toBe(true);
      expect((await session.verify({ regions: [{ name: "high", offset: 0x20100, data: high }] })).ok).toBe(
        true,
      );
    } finally {
      await session.close();
    }
  });

  it("re-enters the bootloader when its watchdog started the sketch during a pause", async () => {
    const { driver, path, sim } = simulatedStation();
    const session = await driver.open({ path });
    try {
      await new Promise((r) => setTimeout(r, 1150));
      expect(sim.mode).toBe("app");
      const resets = sim.stats.resets;
      await session.flash({ regions: [{ name: "sketch", offset: 0, data: sketch(200) }] });
      expect(sim.stats.resets).toBe(resets + 1);
    } finally {
      await session.close();
    }
  });

  it("lists simulated ports and marks Arduino USB ids as avr", async () => {
    const binding = createSimBinding();
    binding.add("sim:avr-0", createOptibootSimulator(), { usb: { vendorId: "2341", productId: "0043" } });
    binding.add("sim:other", createOptibootSimulator(), { usb: { vendorId: "10c4", productId: "ea60" } });
    const driver = createAvrDriver({ binding, resetTimings: FAST_RESET });
    const ports = await driver.list();
    expect(ports.find((p) => p.path === "sim:avr-0")?.familyHint).toBe("avr");
    expect(ports.find((p) => p.path === "sim:other")?.familyHint).toBeUndefined();
  });

  it("rejects unknown and unsupported boards with a clear config error", () => {
    expect(() => createAvrDriver({ board: "leonardo" })).toThrow(/Unknown AVR board "leonardo"/);
    expect(() => createAvrDriver({ board: "mega2560" })).toThrow(/STK500v2/);
  });

  it("runs 48 boards on one binding concurrently", async () => {
    const binding = createSimBinding();
    const sims = Array.from({ length: 48 }, (_, i) => {
      const sim = createOptibootSimulator();
      binding.add(`sim:avr-${i}`, sim);
      return sim;
    });
    const driver = createAvrDriver({ binding, resetTimings: FAST_RESET });
    await Promise.all(
      sims.map(async (_, i) => {
        const session = await driver.open({ path: `sim:avr-${i}` });
        try {
          await session.flash({ regions: [{ name: "serial", offset: 0x7df0, data: serialBytes(`U${i}`) }] });
          expect((await session.identify()).uniqueId).toBe(`u${i}`);
        } finally {
          await session.close();
        }
      }),
    );
  });
});

const realPort = process.env.AVR_TEST_PORT;
describe.skipIf(!realPort)("real hardware (AVR_TEST_PORT)", () => {
  describeBoardDriverConformance(
    `avr on ${realPort} (board ${process.env.AVR_TEST_BOARD ?? "uno"})`,
    async () => ({
      driver: createAvrDriver({ board: process.env.AVR_TEST_BOARD ?? "uno" }),
      port: { path: realPort! },
      plan: unoPlan("SN-HW-TEST"),
    }),
    {
      timeoutMs: 60_000,
      skip: { "reset and console follow the capability flags": "the board's sketch is unknown" },
    },
  );
});
