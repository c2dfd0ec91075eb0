import { type FlashPlan, isFactoryError, provisionDevice } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { createLineDriver } from "./driver";
import { createLineBench, type LineBench } from "./simulator";

const plan = (): FlashPlan => ({
  regions: [
    { name: "bootloader", offset: 0, data: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff) },
    { name: "app", offset: 0x800, data: Uint8Array.from({ length: 200 }, (_, i) => (255 - i) & 0xff) },
  ],
});

let bench: LineBench;
afterEach(async () => {
  await bench?.close();
});

describe("line-protocol driver", () => {
  it("fails open with SYNC_FAILED when no bootloader answers, and frees the port", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1", { mute: true });
    const driver = createLineDriver({ connect: bench.connect, replyTimeoutMs: 100 });
    await expect(driver.open({ path: "sim:1" })).rejects.toMatchObject({ code: "SYNC_FAILED" });
    board.mute = false;
    const session = await driver.open({ path: "sim:1" });
    await session.close();
  });

  it("probes a running board without resetting it", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1");
    const driver = createLineDriver({ connect: bench.connect });
    expect(await driver.probe({ path: "sim:1" })).toEqual({ present: true, family: "lp1" });
    expect(board.mode).toBe("app");
    expect(board.received).toEqual(["ID?"]);
  });

  it("rejects a plan beyond the flash before sending a single write", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1", { flashSize: 4096 });
    const session = await createLineDriver({ connect: bench.connect }).open({ path: "sim:1" });
    try {
      const beyond: FlashPlan = { regions: [{ name: "app", offset: 4000, data: new Uint8Array(200) }] };
      await expect(session.flash(beyond)).rejects.toMatchObject({ code: "PLAN_INVALID" });
      expect(board.received.filter((l) => l.startsWith("W "))).toEqual([]);
    } finally {
      await session.close();
    }
  });

  it("turns a write the board refuses into FLASH_FAILED with the command kept", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1");
    const handle = board.handle.bind(board);
    board.handle = (line) => (line.startsWith("W 840 ") ? ["ERR PROG cell stuck"] : handle(line));
    const session = await createLineDriver({ connect: bench.connect }).open({ path: "sim:1" });
    try {
      const error = await session.flash(plan()).catch((e: unknown) => e);
      expect(isFactoryError(error, "FLASH_FAILED")).toBe(true);
      expect((error as { details: Record<string, unknown> }).details).toMatchObject({
        reply: "ERR PROG cell stuck",
      });
      expect((error as Error).message).toMatch(/^\[line-protocol\] /);
    } finally {
      await session.close();
    }
  });

  it("erases the chip first when the plan asks for it", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1", { flashSize: 4096 });
    board.memory.fill(0);
    const session = await createLineDriver({ connect: bench.connect }).open({ path: "sim:1" });
    try {
      await session.flash({ ...plan(), eraseAll: true });
      expect(board.memory[0x700]).toBe(0xff);
      expect(board.memory[0x801]).toBe(254);
    } finally {
      await session.close();
    }
  });

  it("does not take a late reply to a cancelled command for the answer to the next one", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1", { replyDelayMs: 60 });
    const session = await createLineDriver({ connect: bench.connect }).open({ path: "sim:1" });
    try {
      const cut = session.verify(plan(), { signal: AbortSignal.timeout(20) });
      await expect(cut).rejects.toMatchObject({ code: "ABORTED" });
      expect((await session.identify()).uniqueId).toBe(board.uid);
    } finally {
      await session.close();
    }
  });

  it("refuses unknown settings by name and sends nothing", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1");
    const driver = createLineDriver({ connect: bench.connect });
    await expect(driver.open({ path: "sim:1" }, { settings: { baud: 9600 } })).rejects.toThrow(/baud/);
    await expect(driver.list()).rejects.toMatchObject({ code: "NOT_SUPPORTED" });
    expect(board.received).toEqual([]);
  });

  it("runs core's provisioning pipeline end to end, console test included", async () => {
    bench = createLineBench();
    const board = bench.plug("sim:1", { console: { info: "OK" } });
    const result = await provisionDevice({
      driver: createLineDriver({ connect: bench.connect }),
      port: { path: "sim:1" },
      boardType: "lp1-devkit",
      plan: plan(),
      tests: [{ name: "boot_test", command: "info", expect: "OK", timeoutMs: 1_000 }],
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe("passed");
    expect(result.deviceId).toBe(`lp1-devkit-${board.uid}`);
    expect(result.tests.map((t) => [t.name, t.passed])).toEqual([["boot_test", true]]);
    expect(board.mode).toBe("app");
  });
});
