/**
 * `pnpm bench stm32`: a 512 KB image through the driver
 *  - over the simulated UART bootloader at 115200 baud 8E1 with time-accurate wire timing, as a
 *    ratio of the wire limit (115200 / 11 bytes per second), write phase and whole flash; once as
 *    stm32flash does it (a round trip per command step) and once with pipelined Write Memory;
 *  - over the simulated DfuSe device with full-speed USB timing, as 2 KB blocks per second, with
 *    the device's poll timeouts honoured (the device counts early polls).
 * Last line: one JSON object.
 */
import type { FlashProgress } from "@factory/core";
import { createSimBinding } from "@factory/serial";
import { Stm32Driver } from "../src/driver/driver";
import { An3155Simulator } from "../src/simulator/an3155-device";
import { FakeDfuDevice, FakeUsbHost } from "../src/simulator/fake-usb";

const SIZE = 512 * 1024;
const BASE = 0x0800_0000;
const BAUD = 115200;
const image = Uint8Array.from({ length: SIZE }, (_, i) => (i * 2654435761) >>> 24);
/** STM32F4-like flash: ~1 ms to program 256 bytes, ~8 ms per KB of sector erase. */
const F4_TIMING = { writeMsPerKb: 4, eraseMsPerKb: 8, massEraseMs: 8000 };

async function uart(pipelineWrites: boolean) {
  const binding = createSimBinding();
  const sim = new An3155Simulator({ chip: { pid: 0x413, timing: F4_TIMING } });
  binding.add("sim:bench", sim, { timing: "real" });
  const driver = new Stm32Driver({
    transport: "uart",
    binding,
    baudRate: BAUD,
    parity: "even",
    pipelineWrites,
  });
  const session = await driver.open({ path: "sim:bench" });
  try {
    let writeStart = 0;
    const started = performance.now();
    await session.flash(
      { regions: [{ name: "app", offset: BASE, data: image }] },
      {
        onProgress: (p: FlashProgress) => {
          if (p.phase === "write" && writeStart === 0)
            writeStart = performance.now() - (256 * 11 * 1000) / BAUD;
        },
      },
    );
    const ended = performance.now();
    if (Buffer.compare(Buffer.from(sim.chip.flash.subarray(0, SIZE)), Buffer.from(image)) !== 0) {
      throw new Error("UART bench: the simulated flash does not hold the image");
    }
    const wireLimitMs = (SIZE * 11 * 1000) / BAUD;
    return {
      writeMs: ended - writeStart,
      totalMs: ended - started,
      writeEfficiency: wireLimitMs / (ended - writeStart),
      totalEfficiency: wireLimitMs / (ended - started),
      wireLimitMs,
    };
  } finally {
    await session.close();
  }
}

async function dfu() {
  const device = new FakeDfuDevice({
    chip: { pid: 0x413, timing: F4_TIMING },
    usbTiming: { perTransferMs: 1, bytesPerMs: 800 },
  });
  const driver = new Stm32Driver({ transport: "dfu", usb: new FakeUsbHost([device]) });
  const session = await driver.open({ path: "usb:1-1" });
  try {
    let writeStart = 0;
    const started = performance.now();
    await session.flash(
      { regions: [{ name: "app", offset: BASE, data: image }] },
      {
        onProgress: (p) => {
          if (p.phase === "write" && writeStart === 0) writeStart = performance.now();
        },
      },
    );
    const ended = performance.now();
    const blocks = Math.ceil(SIZE / 2048);
    const verifyStart = performance.now();
    const verified = await session.verify({ regions: [{ name: "app", offset: BASE, data: image }] });
    const verifyMs = performance.now() - verifyStart;
    if (!verified.ok) throw new Error("DFU bench: verify failed");
    return {
      blocks,
      totalMs: ended - started,
      writeMs: ended - writeStart,
      blocksPerSecond: (blocks * 1000) / (ended - writeStart),
      pollViolations: device.model.pollViolations,
      verifyKBps: SIZE / 1024 / (verifyMs / 1000),
    };
  } finally {
    await session.close();
  }
}

const plain = await uart(false);
console.log(
  `UART 115200 8E1, 512 KB, one round trip per step: write ${(plain.writeMs / 1000).toFixed(1)} s (wire limit ${(plain.wireLimitMs / 1000).toFixed(1)} s) → ${(plain.writeEfficiency * 100).toFixed(1)} % of the wire; whole flash incl. erase ${(plain.totalMs / 1000).toFixed(1)} s → ${(plain.totalEfficiency * 100).toFixed(1)} %`,
);
const piped = await uart(true);
console.log(
  `UART 115200 8E1, 512 KB, pipelined Write Memory: write ${(piped.writeMs / 1000).toFixed(1)} s → ${(piped.writeEfficiency * 100).toFixed(1)} % of the wire; whole flash ${(piped.totalMs / 1000).toFixed(1)} s → ${(piped.totalEfficiency * 100).toFixed(1)} %`,
);
const d = await dfu();
console.log(
  `DFU (full-speed USB model, F4 poll timeouts), 512 KB: ${d.blocks} blocks of 2 KB in ${(d.writeMs / 1000).toFixed(2)} s → ${d.blocksPerSecond.toFixed(1)} blocks/s; whole flash ${(d.totalMs / 1000).toFixed(2)} s; early polls ${d.pollViolations}; read-back ${d.verifyKBps.toFixed(0)} KB/s`,
);
console.log(
  JSON.stringify({
    uart_wire_efficiency: Number(plain.writeEfficiency.toFixed(3)),
    uart_wire_efficiency_total: Number(plain.totalEfficiency.toFixed(3)),
    uart_wire_efficiency_pipelined: Number(piped.writeEfficiency.toFixed(3)),
    dfu_blocks_per_s: Number(d.blocksPerSecond.toFixed(1)),
    dfu_poll_violations: d.pollViolations,
    dfu_write_s: Number((d.writeMs / 1000).toFixed(2)),
  }),
);
