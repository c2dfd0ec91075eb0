import { createLogger, type LogLevel } from "@factory/core";
import { describe, expect, it } from "vitest";
import { openSerialLink } from "./link";
import { createSimBinding } from "./sim/binding";
import { IncrementingDevice } from "./test-devices";

async function setup(options: Parameters<ReturnType<typeof createSimBinding>["add"]>[2] = {}) {
  const binding = createSimBinding();
  const device = new IncrementingDevice();
  const cable = binding.add("sim:test-0", device, options);
  const link = await openSerialLink("sim:test-0", { baudRate: 115200, binding });
  return { binding, device, cable, link };
}

describe("openSerialLink over the simulator binding", () => {
  it("writes, reads exactly N bytes and counts both directions", async () => {
    const { link } = await setup();
    await link.write(Uint8Array.of(1, 2, 3));
    await link.write(Uint8Array.of(0xff));
    expect([...(await link.read(2, { timeoutMs: 1000 }))]).toEqual([2, 3]);
    expect([...(await link.read(2, { timeoutMs: 1000 }))]).toEqual([4, 0]);
    expect(link.stats).toEqual({ bytesWritten: 4, bytesRead: 4 });
    await link.close();
  });

  it("reads until a byte or a byte sequence, keeping what follows", async () => {
    const { link } = await setup();
    await link.write(Uint8Array.of(0x10, 0x1f, 0x13, 0x40, 0x41));
    expect([...(await link.readUntil(0x20, { timeoutMs: 1000 }))]).toEqual([0x11, 0x20]);
    expect([...(await link.readUntil(Uint8Array.of(0x41, 0x42), { timeoutMs: 1000 }))]).toEqual([
      0x14, 0x41, 0x42,
    ]);
    expect(link.available).toBe(0);
    await link.write(Uint8Array.of(7, 8, 9));
    await expect(link.readUntil(0x55, { timeoutMs: 1000, maxBytes: 3 })).rejects.toMatchObject({
      code: "PROTOCOL_ERROR",
    });
    await link.close();
  });

  it("times out with TIMEOUT and stays usable", async () => {
    const { link } = await setup();
    await link.write(Uint8Array.of(1));
    const error = await link.read(2, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "TIMEOUT" });
    expect((error as Error).message).toContain("sim:test-0");
    await link.write(Uint8Array.of(5));
    expect([...(await link.read(2, { timeoutMs: 1000 }))]).toEqual([2, 6]);
    await link.close();
  });

  it("rejects a read with ABORTED when its signal fires, and pending reads when closed", async () => {
    const { link } = await setup();
    const controller = new AbortController();
    const pending = link.read(1, { timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" });
    const second = link.read(1, { timeoutMs: 5000 });
    await link.close();
    await expect(second).rejects.toMatchObject({ code: "ABORTED" });
    await link.close(); // idempotent
    await expect(link.write(Uint8Array.of(1))).rejects.toMatchObject({ code: "ABORTED" });
  });

  it("refuses a missing port with PORT_NOT_FOUND and a second opener with PORT_BUSY", async () => {
    const { binding, link } = await setup();
    await expect(openSerialLink("sim:nothing", { baudRate: 115200, binding })).rejects.toMatchObject({
      code: "PORT_NOT_FOUND",
    });
    await expect(openSerialLink("sim:test-0", { baudRate: 115200, binding })).rejects.toMatchObject({
      code: "PORT_BUSY",
    });
    await link.close();
    const again = await openSerialLink("sim:test-0", { baudRate: 115200, binding });
    await again.close();
  });

  it("passes DTR/RTS/BREAK and baud changes to the device; open asserts and close releases the lines", async () => {
    const { device, link } = await setup();
    expect(device.signals.at(-1)).toEqual({ dtr: true, rts: true, brk: false });
    expect(await link.setSignals({ dtr: false, rts: true })).toBe(true);
    expect(device.signals.at(-1)).toEqual({ dtr: false, rts: true, brk: false });
    await link.setSignals({ dtr: true, rts: false, brk: true });
    expect(device.signals.at(-1)).toEqual({ dtr: true, rts: false, brk: true });
    await link.setBaudRate(57600);
    expect(link.baudRate).toBe(57600);
    expect(device.bauds).toEqual([115200, 57600]);
    await link.close();
    expect(device.signals.at(-1)).toEqual({ dtr: false, rts: false, brk: false });
    expect(device.closes).toBe(1);
  });

  it("fails pending and later calls with PORT_DISCONNECTED when the device vanishes at byte N", async () => {
    const { cable, device, link } = await setup({
      faults: [{ direction: "to-device", at: 5, action: "disconnect" }],
    });
    const lost: string[] = [];
    link.onLost((e) => lost.push(e.code));
    await link.write(Uint8Array.of(1, 2, 3, 4, 5, 6, 7));
    await expect(link.read(8, { timeoutMs: 2000 })).rejects.toMatchObject({ code: "PORT_DISCONNECTED" });
    expect(device.received).toEqual([1, 2, 3, 4, 5]);
    expect(lost).toEqual(["PORT_DISCONNECTED"]);
    await expect(link.write(Uint8Array.of(1))).rejects.toMatchObject({ code: "PORT_DISCONNECTED" });
    expect(cable.connected).toBe(false);
    expect(cable.stats.toDevice).toBe(5);
    await link.close();
  });

  it("drops and corrupts the byte a fault names, in either direction", async () => {
    const { link } = await setup({
      faults: [
        { direction: "to-device", at: 1, action: "drop" },
        { direction: "to-host", at: 2, action: "corrupt", mask: 0x80 },
      ],
    });
    await link.write(Uint8Array.of(10, 20, 30, 40));
    // 20 never reaches the device; replies 11, 31, 41 — the third one (41) is corrupted to 0xa9.
    expect([...(await link.read(3, { timeoutMs: 1000 }))]).toEqual([11, 31, 41 ^ 0x80]);
    await link.close();
  });

  it("garbles bytes when the host baud differs from the device UART", async () => {
    const binding = createSimBinding();
    const device = new IncrementingDevice(115200);
    binding.add("sim:uart", device);
    const link = await openSerialLink("sim:uart", { baudRate: 57600, binding });
    await link.write(Uint8Array.of(1, 2, 3));
    await link.read(3, { timeoutMs: 1000 });
    expect(device.received).not.toEqual([1, 2, 3]);
    await link.setBaudRate(115200);
    device.received.length = 0;
    await link.write(Uint8Array.of(1, 2, 3));
    expect([...(await link.read(3, { timeoutMs: 1000 }))]).toEqual([2, 3, 4]);
    await link.close();
  });

  it("hands chunks to a subscriber instead of buffering them", async () => {
    const { link } = await setup();
    const seen: number[] = [];
    const stop = link.subscribe((chunk) => seen.push(...chunk));
    await link.write(Uint8Array.of(1, 2));
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual([2, 3]);
    expect(link.available).toBe(0);
    stop();
    await link.write(Uint8Array.of(3));
    expect([...(await link.read(1, { timeoutMs: 1000 }))]).toEqual([4]);
    await link.close();
  });

  it("supports many simulated ports on one binding at once", async () => {
    const binding = createSimBinding();
    const links = await Promise.all(
      Array.from({ length: 48 }, async (_, i) => {
        binding.add(`sim:avr-${i}`, new IncrementingDevice());
        return openSerialLink(`sim:avr-${i}`, { baudRate: 115200, binding });
      }),
    );
    expect((await binding.list()).map((p) => p.path)).toContain("sim:avr-47");
    const replies = await Promise.all(
      links.map(async (link, i) => {
        await link.write(Uint8Array.of(i));
        return (await link.read(1, { timeoutMs: 1000 }))[0];
      }),
    );
    expect(replies).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    await Promise.all(links.map((l) => l.close()));
  });
});

describe("time-accurate simulator timing", () => {
  it("takes at least the wire time of every byte, each way (10 bits per 8N1 byte, 11 with parity)", async () => {
    for (const parity of ["none", "even"] as const) {
      const binding = createSimBinding();
      binding.add("sim:timed", new IncrementingDevice(), { timing: "real" });
      const link = await openSerialLink("sim:timed", { baudRate: 115200, parity, binding });
      const bits = parity === "none" ? 10 : 11;
      const n = 1152; // 100 ms at 115200 8N1 per direction
      const started = performance.now();
      await link.write(new Uint8Array(n));
      await link.drain();
      const drained = performance.now() - started;
      await link.read(n, { timeoutMs: 5000 });
      const elapsed = performance.now() - started;
      const oneWay = (n * bits * 1000) / 115200;
      expect(drained).toBeGreaterThanOrEqual(oneWay - 2);
      // Replies start as the first slice arrives, so a round trip needs the one-way time plus one slice.
      expect(elapsed).toBeGreaterThanOrEqual(oneWay + (32 * bits * 1000) / 115200 - 2);
      await link.close();
    }
  });
});

describe("modem lines on a port that has none", () => {
  it("resolves false and logs one warning instead of failing", async () => {
    const records: { level: LogLevel; message: string }[] = [];
    const logger = createLogger({ level: "debug", sink: (r) => records.push(r) });
    const enotty = Object.assign(new Error("Inappropriate ioctl for device, cannot set"), { code: "ENOTTY" });
    const binding = createSimBinding();
    binding.add("sim:pty-like", new IncrementingDevice());
    const port = await binding.open({ path: "sim:pty-like", baudRate: 115200 });
    port.set = async () => {
      throw enotty;
    };
    const link = await openSerialLink(port, { baudRate: 115200, logger });
    expect(await link.setSignals({ dtr: true })).toBe(false);
    expect(await link.setSignals({ dtr: false })).toBe(false);
    expect(records.filter((r) => r.level === "warn")).toHaveLength(1);
    await link.write(Uint8Array.of(1));
    expect([...(await link.read(1, { timeoutMs: 1000 }))]).toEqual([2]);
    await link.close();
  });
});
