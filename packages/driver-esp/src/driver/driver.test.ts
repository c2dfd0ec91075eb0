import { type FlashPlan, isFactoryError, loadBoardDriver } from "@factory/core";
import { describe, expect, it } from "vitest";
import { CHIPS, type EspFamily } from "../protocol/chips";
import {
  createEspSimulator,
  EspSimBinding,
  type EspSimulatorOptions,
  makeFirmwareImage,
  makePartitionTable,
} from "../simulator";
import { createEspDriver } from "./driver";
import type { EspDriverOptions } from "./options";

async function bench(simOptions: EspSimulatorOptions = {}, driverOptions: EspDriverOptions = {}) {
  const sim = await createEspSimulator({ seed: 5, ...simOptions });
  const binding = new EspSimBinding().add("sim:a", sim);
  const driver = createEspDriver({ binding, ...driverOptions });
  return { sim, binding, driver, port: { path: "sim:a" } };
}

function plan(chip: EspFamily = "esp32", appSize = 150_000): FlashPlan {
  const boot = CHIPS[chip].bootloaderOffset;
  return {
    regions: [
      { name: "bootloader", offset: boot, data: makeFirmwareImage({ size: 20_000, chip, seed: 11 }) },
      { name: "partition-table", offset: 0x8000, data: makePartitionTable() },
      { name: "nvs", offset: 0x9000, data: new Uint8Array(0x3000).map((_, i) => (i * 31) & 0xff) },
      { name: "app", offset: 0x10000, data: makeFirmwareImage({ size: appSize, chip, seed: 12 }) },
    ],
  };
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFactoryError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe("esp driver identity", () => {
  it.each([
    ["esp32", "ESP32-D0WD-V3", "24:0a:c4:12:34:56"],
    ["esp8266", "ESP8266EX", "18:fe:34:ab:cd:ef"],
    ["esp32s2", "ESP32-S2", "7c:df:a1:0a:0b:0c"],
    ["esp32s3", "ESP32-S3", "f4:12:fa:00:11:22"],
    ["esp32c3", "ESP32-C3", "58:cf:79:01:02:03"],
    ["esp32c6", "ESP32-C6", "40:4c:ca:4d:5e:6f"],
  ] as const)("reads %s chip, MAC from eFuse and flash size", async (chip, name, mac) => {
    const { driver, port } = await bench({ chip, mac, flashSize: 16 * 1024 * 1024 });
    const session = await driver.open(port);
    const id = await session.identify();
    expect(id).toMatchObject({
      family: chip,
      chip: name,
      mac,
      uniqueId: mac.replaceAll(":", ""),
      flashSize: 16 << 20,
    });
    expect(id.extra?.flashId).toBe("0x1840ef");
    if (chip === "esp32") expect(id.revision).toBe("v3.0");
    await session.close();
  });
});

describe("esp driver flashing", () => {
  it("writes a multi-region plan byte for byte, then skips unchanged regions", async () => {
    const { sim, driver, port } = await bench();
    const session = await driver.open(port);
    const p = plan();
    const first = await session.flash(p);
    expect(first.regions.every((r) => !r.skipped)).toBe(true);
    for (const r of p.regions)
      expect(Buffer.from(sim.readFlashImage(r.offset, r.data.length)).equals(Buffer.from(r.data))).toBe(true);
    const nvs = p.regions[2]!;
    const changed: FlashPlan = {
      regions: p.regions.map((r) => (r === nvs ? { ...r, data: r.data.map((b) => b ^ 1) } : r)),
    };
    const second = await session.flash(changed);
    expect(second.regions.map((r) => r.skipped)).toEqual([true, true, false, true]);
    expect(second.bytesWritten).toBe(nvs.data.length);
    expect((await session.verify(changed)).ok).toBe(true);
    await session.close();
  });

  it("flashes an ESP8266 at the ROM baud (its ROM has neither CHANGE_BAUDRATE nor MD5)", async () => {
    const { sim, driver, port } = await bench({ chip: "esp8266" }, { baudRate: 115200 });
    const session = await driver.open(port);
    const p = plan("esp8266");
    await session.flash(p);
    expect(sim.uartBaud).toBe(115200);
    expect(sim.mode).toBe("stub");
    expect((await session.verify(p)).ok).toBe(true);
    await session.close();
  });

  it("on a time-accurate ESP8266, waits for the stub to switch its UART after CHANGE_BAUDRATE", async () => {
    const { sim, driver, port } = await bench(
      { chip: "esp8266", timing: "real", flashTiming: "off" },
      { baudRate: 460800 },
    );
    const session = await driver.open(port);
    const app = makeFirmwareImage({ size: 30_000, chip: "esp8266", seed: 8 });
    const p: FlashPlan = { regions: [{ name: "app", offset: 0x10000, data: app }] };
    await session.flash(p);
    expect(sim.uartBaud).toBe(460800);
    expect((await session.verify(p)).ok).toBe(true);
    await session.close();
  }, 30_000);

  it("compresses each image once per batch through FlashRegion.cache", async () => {
    const cache = new Map<string, unknown>();
    let sets = 0;
    const counting = new Proxy(cache, {
      get(target, key) {
        if (key === "set") {
          return (k: string, v: unknown) => {
            sets++;
            return target.set(k, v);
          };
        }
        const v = Reflect.get(target, key);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const app = makeFirmwareImage({ size: 120_000, seed: 4 });
    const shared: FlashPlan = {
      regions: [{ name: "app", offset: 0x10000, data: app, scope: "shared", cache: counting }],
    };
    for (let i = 0; i < 3; i++) {
      const { sim, driver, port } = await bench({ seed: i + 1 });
      const session = await driver.open(port);
      await session.flash(shared);
      expect(Buffer.from(sim.readFlashImage(0x10000, app.length)).equals(Buffer.from(app))).toBe(true);
      await session.close();
    }
    expect(sets).toBe(1);
  });

  it("erases the whole chip when the plan asks for it", async () => {
    const { sim, driver, port } = await bench();
    sim.preloadFlash(0x200000, new Uint8Array(4096).fill(0x12));
    const session = await driver.open(port);
    await session.flash({ ...plan(), eraseAll: true });
    expect(sim.stats.commands["0xd0"]).toBe(1);
    expect(sim.readFlashImage(0x200000, 4096).every((b) => b === 0xff)).toBe(true);
    await session.close();
  });

  it("steps the baud down when the cable cannot carry the requested rate", async () => {
    const { sim, driver, port } = await bench({ faults: { maxBaud: 460800 } });
    const session = await driver.open(port);
    await session.flash(plan());
    expect(sim.uartBaud).toBe(460800);
    expect((await session.verify(plan())).ok).toBe(true);
    await session.close();

    const slow = await bench({ faults: { maxBaud: 115200 } });
    const s2 = await slow.driver.open(slow.port);
    expect((await s2.identify()).family).toBe("esp32");
    expect(slow.sim.uartBaud).toBe(115200);
    await s2.close();
  });

  it("recovers from a chip that resets in the middle of a write", async () => {
    const { sim, driver, port } = await bench({ faults: { resetAtFlashByte: 60_000 } });
    const session = await driver.open(port);
    const p = plan();
    await session.flash(p);
    expect(sim.stats.commands["reset:brownout"]).toBe(1);
    expect((await session.verify(p)).ok).toBe(true);
    await session.close();
  });

  it("enters download mode through USB-Serial-JTAG on 303A:1001 and without touching the lines on a strapped fixture", async () => {
    const usb = await bench({ chip: "esp32s3", resetCircuit: "usb-jtag" });
    const s1 = await usb.driver.open({ path: "sim:a", vendorId: 0x303a, productId: 0x1001 });
    expect((await s1.identify()).family).toBe("esp32s3");
    await s1.close();

    const strapped = await bench({ resetCircuit: "none" }, { reset: "none" });
    const s2 = await strapped.driver.open(strapped.port);
    await s2.flash(plan());
    await s2.reset("app");
    const console = await s2.openConsole();
    await console.writeLine("info");
    expect(await console.expect(/^OK/, { timeoutMs: 2000 })).toMatch(/^OK ESP32 /);
    await console.close();
    await s2.close();
  });

  it("loads by package name through @factory/core", async () => {
    const sim = await createEspSimulator({});
    const driver = await loadBoardDriver("@factory/driver-esp", {
      binding: new EspSimBinding().add("sim:x", sim),
    });
    expect(driver.name).toBe("esp");
    expect((await driver.probe({ path: "sim:x" })).present).toBe(true);
  });
});

describe("esp driver bad input", () => {
  it("refuses images that are not ESP images or are built for another chip, and writes nothing", async () => {
    const { sim, driver, port } = await bench();
    const session = await driver.open(port);
    const notImage: FlashPlan = {
      regions: [{ name: "app", offset: 0x10000, data: new Uint8Array(4096).fill(0x42) }],
    };
    const e1 = await rejection(session.flash(notImage));
    expect(e1.code).toBe("IMAGE_INVALID");
    expect(e1.message).toMatch(/^\[driver-esp\] Region "app" is not an ESP firmware image/);
    const s3Image: FlashPlan = {
      regions: [{ name: "app", offset: 0x10000, data: makeFirmwareImage({ size: 4096, chip: "esp32s3" }) }],
    };
    const e2 = await rejection(session.flash(s3Image));
    expect(e2.code).toBe("IMAGE_INVALID");
    expect(e2.message).toMatch(/chip id 9.*ESP32 \(chip id 0\)/);
    const badTable: FlashPlan = {
      regions: [{ name: "partition-table", offset: 0x8000, data: new Uint8Array(64) }],
    };
    expect((await rejection(session.flash(badTable))).code).toBe("IMAGE_INVALID");
    expect(sim.stats.commands["0x10"]).toBeUndefined();
    // The session still works after refusing.
    expect((await session.identify()).family).toBe("esp32");
    await session.close();
  });

  it("refuses overlapping, unaligned, empty and oversized plans with PLAN_INVALID", async () => {
    const { sim, driver, port } = await bench({ flashSize: 1 << 20 });
    const session = await driver.open(port);
    const app = makeFirmwareImage({ size: 8192 });
    const cases: FlashPlan[] = [
      { regions: [] },
      { regions: [{ name: "app", offset: 0x10100, data: app }] },
      {
        regions: [
          { name: "app", offset: 0x10000, data: app },
          { name: "nvs", offset: 0x11000, data: new Uint8Array(16) },
        ],
      },
      { regions: [{ name: "app", offset: 0xff000, data: app }] },
    ];
    for (const c of cases) expect((await rejection(session.flash(c))).code).toBe("PLAN_INVALID");
    expect(sim.stats.commands["0x10"]).toBeUndefined();
    await session.close();
  });

  it("reports a missing port, a busy port and bad settings with their codes", async () => {
    const { driver, port } = await bench();
    expect((await rejection(driver.open({ path: "sim:missing" }))).code).toBe("PORT_NOT_FOUND");
    const session = await driver.open(port);
    expect((await rejection(driver.open(port))).code).toBe("PORT_BUSY");
    await session.close();
    expect((await rejection(driver.open(port, { settings: { baudRate: "fast" } }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect((await rejection(driver.open(port, { settings: { reset: "magic" } }))).code).toBe(
      "INVALID_ARGUMENT",
    );
    // Every failure above released the port.
    await (await driver.open(port)).close();
  });

  it("says SYNC_FAILED when the chip never answers, PROTOCOL_ERROR when it answers garbage, and releases the port", async () => {
    const silent = await bench({ faults: { noSync: true } }, { connectAttempts: 2 });
    const e1 = await rejection(silent.driver.open(silent.port));
    expect(e1.code).toBe("SYNC_FAILED");
    silent.sim.faults.noSync = false;
    await (await silent.driver.open(silent.port)).close();

    const noisy = await bench({}, { connectAttempts: 1 });
    const s = await noisy.driver.open(noisy.port);
    noisy.sim.faults.garbage = true;
    const e2 = await rejection(s.reset("bootloader"));
    expect(["PROTOCOL_ERROR", "SYNC_FAILED"]).toContain(e2.code);
    await s.close();
    noisy.sim.faults.garbage = false;
    await (await noisy.driver.open(noisy.port)).close();
  });

  it("fails with PORT_DISCONNECTED when the board vanishes mid-flash, and the port can be reopened", async () => {
    const { sim, driver, port } = await bench();
    const session = await driver.open(port);
    let pulled = false;
    const e = await rejection(
      session.flash(plan("esp32", 300_000), {
        onProgress: (p) => {
          if (p.phase === "write" && !pulled) {
            pulled = true;
            sim.unplug();
          }
        },
      }),
    );
    expect(e.code).toBe("PORT_DISCONNECTED");
    await session.close();
    expect((await rejection(driver.open(port))).code).toBe("PORT_NOT_FOUND");
    sim.plug();
    await (await driver.open(port)).close();
  });

  it("never takes the answer to an abandoned MD5 for the next region's", async () => {
    // Slow MD5 (0.25 MiB/s) so a verify can be cancelled while the chip is still hashing.
    const { sim, driver, port } = await bench(
      { timing: "real", flashTiming: { md5MiBps: 0.25 } },
      { baudRate: 921600 },
    );
    const data = makeFirmwareImage({ size: 96_000, seed: 77 });
    const session = await driver.open(port);
    const atA: FlashPlan = { regions: [{ name: "app", offset: 0x10000, data }] };
    await session.flash(atA);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    expect((await rejection(session.verify(atA, { signal: controller.signal }))).code).toBe("ABORTED");
    // Same bytes at another offset, where the chip holds nothing yet: the late answer for the
    // first region would match, and must not make the driver skip this one.
    const atB: FlashPlan = { regions: [{ name: "app", offset: 0x40000, data }] };
    const result = await session.flash(atB);
    expect(result.regions[0]!.skipped).toBe(false);
    expect(Buffer.from(sim.readFlashImage(0x40000, data.length)).equals(Buffer.from(data))).toBe(true);
    await session.close();
  }, 30_000);

  it("reports a wrong MD5 as a failed verify, never as success", async () => {
    const { sim, driver, port } = await bench();
    const session = await driver.open(port);
    const p = plan();
    await session.flash(p);
    sim.faults.wrongMd5 = true;
    const v = await session.verify(p);
    expect(v.ok).toBe(false);
    expect(v.regions.every((r) => !r.ok && r.expected !== r.actual)).toBe(true);
    await session.close();
  });
});

describe("esp batch cache", () => {
  it("one cache map shared by every region (as the README shows) still writes each region's own bytes", async () => {
    const cache = new Map<string, unknown>();
    const shared: FlashPlan = { regions: plan().regions.map((r) => ({ ...r, cache })) };
    for (let board = 0; board < 2; board++) {
      const { sim, driver, port } = await bench();
      const session = await driver.open(port);
      try {
        await session.flash(shared);
        expect((await session.verify(shared)).ok).toBe(true);
      } finally {
        await session.close();
      }
      for (const region of shared.regions) {
        const held = sim.readFlashImage(region.offset, region.data.length);
        expect(Buffer.from(held).equals(Buffer.from(region.data))).toBe(true);
      }
    }
  }, 60_000);
});
