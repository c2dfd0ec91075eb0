import type { DeviceWire } from "@factory/serial";
import { describe, expect, it } from "vitest";
import { ACK, addressFrame, Cmd, xorAll } from "../uart/constants";
import { An3155Simulator, type An3155SimulatorOptions } from "./an3155-device";
import { appImage } from "./app-image";
import { F4_DATASHEET_TIMING } from "./chip";

const BASE = 0x0800_0000;

/** A wire whose clock the test moves: `at` timers wait in `timers` until the test runs them. */
function manualWire(hostBaudRate = 115200) {
  const sent: number[] = [];
  const timers: { time: number; fn: () => void }[] = [];
  let now = 1000;
  const wire: DeviceWire = {
    send: (bytes) => sent.push(...bytes),
    unplug: () => undefined,
    hostBaudRate,
    hostOpen: true,
    now: () => now,
    at: (time, fn) => timers.push({ time, fn }),
  };
  const runTimers = (): void => {
    for (const timer of timers.splice(0).sort((a, b) => a.time - b.time)) {
      now = timer.time;
      timer.fn();
    }
  };
  return { wire, sent, timers, runTimers };
}

function attached(options: An3155SimulatorOptions = {}) {
  const sim = new An3155Simulator({ chip: { timing: F4_DATASHEET_TIMING }, ...options });
  const w = manualWire();
  sim.attach(w.wire);
  sim.onData(Uint8Array.of(0x7f));
  expect(w.sent).toEqual([ACK]);
  w.sent.length = 0;
  return { sim, ...w };
}

const writeFrame = (address: number, data: Uint8Array): Uint8Array[] => [
  Uint8Array.of(Cmd.WRITE_MEMORY, Cmd.WRITE_MEMORY ^ 0xff),
  addressFrame(address),
  Uint8Array.of(data.length - 1, ...data, xorAll(data, data.length - 1)),
];

describe("AN3155 simulator timing and UART", () => {
  it("programs a 256-byte block for the data-sheet time on the device clock, holding input meanwhile", () => {
    const { sim, sent, timers, runTimers } = attached();
    for (const part of writeFrame(BASE, new Uint8Array(256).fill(0x11))) sim.onData(part);
    expect(sent).toEqual([ACK, ACK]); // command and address; the block's ACK waits for programming
    expect(timers.map((t) => t.time)).toEqual([1000 + (256 / 1024) * 4.096]);
    sim.onData(Uint8Array.of(Cmd.GET_ID, Cmd.GET_ID ^ 0xff)); // arrives while busy: not answered yet
    expect(sent).toEqual([ACK, ACK]);
    runTimers();
    expect(sent).toEqual([ACK, ACK, ACK, ACK, 0x01, 0x04, 0x13, ACK]);
  });

  it("a reset during programming drops the pending ACK (the new bootloader session never sees it)", () => {
    const { sim, sent, runTimers } = attached({ wiring: { reset: "rts", boot0: "dtr" } });
    sim.onSignals({ dtr: true, rts: false, brk: false }); // BOOT0 high, out of reset
    sim.onData(Uint8Array.of(0x7f));
    sent.length = 0;
    for (const part of writeFrame(BASE, new Uint8Array(256).fill(0x22))) sim.onData(part);
    sim.onSignals({ dtr: true, rts: true, brk: false }); // NRST low mid-programming
    sim.onSignals({ dtr: true, rts: false, brk: false });
    runTimers();
    expect(sent).toEqual([ACK, ACK]);
    expect(sim.mode).toBe("autobaud");
  });

  it("erases F4 sectors for their own data-sheet times (16 KB 250 ms, 128 KB 1 s)", () => {
    const { sim, sent, timers, runTimers } = attached();
    const pages = [0, 0, 0, 5]; // N-1 = 1 as two bytes, then sectors 0 and 5
    sim.onData(Uint8Array.of(Cmd.EXTENDED_ERASE, Cmd.EXTENDED_ERASE ^ 0xff));
    sim.onData(Uint8Array.of(0x00, 0x01, ...pages, xorAll(pages, 0x01)));
    expect(timers.map((t) => t.time)).toEqual([1000 + 250 + 1000]);
    runTimers();
    expect(sent).toEqual([ACK, ACK]);
  });

  it("keeps the bootloader's 8E1 at the measured rate until the app has set up its own UART", () => {
    const w = manualWire(115200);
    const fresh = new An3155Simulator({ app: { baudRate: 57600, bootMs: 5 } });
    fresh.attach(w.wire);
    expect([fresh.uartBaudRate, fresh.uartParity]).toEqual([undefined, "even"]); // autobaud
    fresh.onData(Uint8Array.of(0x7f));
    expect([fresh.uartBaudRate, fresh.uartParity]).toEqual([115200, "even"]);
    fresh.chip.write(BASE, appImage(64));
    fresh.onData(Uint8Array.of(Cmd.GO, Cmd.GO ^ 0xff));
    fresh.onData(addressFrame(BASE));
    expect(fresh.mode).toBe("app");
    expect([fresh.uartBaudRate, fresh.uartParity]).toEqual([115200, "even"]); // the Go ACK leaves at 8E1
    w.runTimers();
    expect(fresh.app.state).toBe("running");
    expect([fresh.uartBaudRate, fresh.uartParity]).toEqual([57600, "none"]);
    expect(Buffer.from(w.sent.slice(3)).toString("latin1")).toBe("STM32 app STM32F40x/41x ready\r\n");
  });

  it("the app refuses an implausible vector table (erased flash, stack pointer outside SRAM)", () => {
    const { sim, sent, runTimers } = attached();
    const image = appImage(64);
    new DataView(image.buffer).setUint32(0, 0x0800_0000, true); // stack pointer in flash
    sim.chip.write(BASE, image);
    sim.onData(Uint8Array.of(Cmd.GO, Cmd.GO ^ 0xff, ...addressFrame(BASE)));
    runTimers();
    expect(sim.app.state).toBe("fault");
    expect(sent).toEqual([ACK, ACK]);
  });
});
