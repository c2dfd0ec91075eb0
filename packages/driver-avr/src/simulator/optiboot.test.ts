import { createSimBinding, openSerialLink, type SerialLink } from "@factory/serial";
import { afterEach, describe, expect, it } from "vitest";
import { createOptibootSimulator, type OptibootSimulator, type OptibootSimulatorOptions } from "./optiboot";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

describe("optiboot simulator, byte for byte (PROTOCOLS.md §3.2)", () => {
  let link: SerialLink | undefined;
  afterEach(async () => {
    await link?.close();
    link = undefined;
  });

  async function connect(
    options: OptibootSimulatorOptions = {},
  ): Promise<{ sim: OptibootSimulator; link: SerialLink }> {
    const binding = createSimBinding();
    const sim = createOptibootSimulator(options);
    binding.add("sim:avr-0", sim);
    link = await openSerialLink("sim:avr-0", { baudRate: 115200, binding });
    // Opening asserts DTR: the auto-reset enters the bootloader.
    return { sim, link };
  }

  async function exchange(l: SerialLink, bytes: number[], replyLength: number): Promise<string> {
    await l.write(Uint8Array.from(bytes));
    return hex(await l.read(replyLength, { timeoutMs: 500 }));
  }

  it("answers each command of the table exactly", async () => {
    const { link: l, sim } = await connect();
    expect(sim.mode).toBe("bootloader");
    expect(await exchange(l, [0x30, 0x20], 2)).toBe("1410");
    expect(await exchange(l, [0x41, 0x81, 0x20], 3)).toBe("140810");
    expect(await exchange(l, [0x41, 0x82, 0x20], 3)).toBe("140310");
    expect(await exchange(l, [0x41, 0x98, 0x20], 3)).toBe("140310");
    const setDevice = [
      0x42, 0x86, 0, 0, 1, 1, 1, 1, 3, 0xff, 0xff, 0xff, 0xff, 0, 0x80, 4, 0, 0, 0, 0x80, 0, 0x20,
    ];
    expect(await exchange(l, setDevice, 2)).toBe("1410");
    expect(await exchange(l, [0x45, 0x05, 0x04, 0xd7, 0xc2, 0x01, 0x20], 2)).toBe("1410");
    expect(await exchange(l, [0x50, 0x20], 2)).toBe("1410");
    expect(await exchange(l, [0x75, 0x20], 5)).toBe("141e950f10");
    expect(await exchange(l, [0x56, 0xac, 0x80, 0x00, 0x00, 0x20], 3)).toBe("140010");
    // LOAD_ADDRESS takes a word address: 0x0040 words = byte 0x80.
    expect(await exchange(l, [0x55, 0x40, 0x00, 0x20], 2)).toBe("1410");
    const page = Array.from({ length: 128 }, (_, i) => i);
    expect(await exchange(l, [0x64, 0x00, 0x80, 0x46, ...page, 0x20], 2)).toBe("1410");
    expect([...sim.flash.subarray(0x80, 0x100)]).toEqual(page);
    expect(await exchange(l, [0x55, 0x40, 0x00, 0x20], 2)).toBe("1410");
    expect(await exchange(l, [0x74, 0x00, 0x04, 0x46, 0x20], 6)).toBe("140001020310");
    expect(await exchange(l, [0x51, 0x20], 2)).toBe("1410");
    await new Promise((r) => setTimeout(r, 40));
    expect(sim.mode).toBe("app");
  });

  it("never answers a command without CRC_EOP: it resets through the watchdog into the sketch", async () => {
    const { link: l, sim } = await connect();
    await l.write(Uint8Array.of(0x30, 0x21));
    await expect(l.read(1, { timeoutMs: 100 })).rejects.toMatchObject({ code: "TIMEOUT" });
    expect(sim.stats.eopErrors).toBe(1);
    await new Promise((r) => setTimeout(r, 30));
    expect(sim.mode).toBe("app");
    await l.write(Uint8Array.of(0x30, 0x20));
    await expect(l.read(1, { timeoutMs: 100 })).rejects.toMatchObject({ code: "TIMEOUT" });
    // A DTR pulse (external reset) brings the bootloader back.
    await l.setSignals({ dtr: false });
    await l.setSignals({ dtr: true });
    expect(await exchange(l, [0x30, 0x20], 2)).toBe("1410");
  });

  it("starts the sketch after its watchdog period of silence, not before", async () => {
    const { link: l, sim } = await connect({ bootTimeoutMs: 600 });
    await new Promise((r) => setTimeout(r, 350));
    expect(await exchange(l, [0x30, 0x20], 2)).toBe("1410"); // traffic kicks the watchdog
    await new Promise((r) => setTimeout(r, 350));
    expect(sim.mode).toBe("bootloader");
    await new Promise((r) => setTimeout(r, 500));
    expect(sim.mode).toBe("app");
  });

  it("ignores writes into its own section (lock bits) but still answers", async () => {
    const { link: l, sim } = await connect();
    const before = sim.flash.slice(0x7e00, 0x7e80);
    expect(await exchange(l, [0x55, 0x00, 0x3f, 0x20], 2)).toBe("1410"); // word 0x3f00 = byte 0x7e00
    expect(await exchange(l, [0x64, 0x00, 0x80, 0x46, ...new Array(128).fill(0), 0x20], 2)).toBe("1410");
    expect([...sim.flash.subarray(0x7e00, 0x7e80)]).toEqual([...before]);
  });

  it("in real time, sends 14 at once and 10 after programming; bytes sent meanwhile overrun its UART", async () => {
    const { link: l, sim } = await connect({ timing: "real", pageProgramMs: 200 });
    await l.write(
      Uint8Array.from([0x55, 0, 0, 0x20, 0x64, 0x00, 0x80, 0x46, ...new Array(128).fill(7), 0x20]),
    );
    expect(hex(await l.read(3, { timeoutMs: 500 }))).toBe("141014");
    await expect(l.read(1, { timeoutMs: 10 })).rejects.toMatchObject({ code: "TIMEOUT" });
    // Ten bytes while the CPU is busy: the 2-byte FIFO and the shift register keep three.
    await l.write(Uint8Array.from(new Array(10).fill(0x30)));
    expect(hex(await l.read(1, { timeoutMs: 500 }))).toBe("10");
    expect(sim.stats.overruns).toBe(7);
    expect(sim.stats.programMs).toBe(200);
  });
});
