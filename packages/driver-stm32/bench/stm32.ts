/**
 * `pnpm bench stm32 [KB]`: a 512 KB image (or KB) through the driver
 *  - over the simulated UART bootloader at 115200 baud 8E1 with time-accurate wire timing and the
 *    F405/407 data-sheet flash times (16 µs per word, 250 ms–1 s per sector);
 *  - over the simulated DfuSe device with full-speed USB timing, as 2 KB blocks per second, with
 *    the device's poll timeouts honoured (the device counts early polls).
 *
 * The UART "wire limit" counts image bytes only: N bytes take N × 11 bits (8E1: start, 8 data,
 * parity, stop) at the baud rate. Everything else — Write Memory framing (command + complement,
 * address + XOR, N−1 + XOR: 9 bytes per 256, so at most 256/265 = 0.966), ACKs, the part's
 * programming time and every idle gap — counts against the efficiency.
 *
 * Figures: the write phase (between the first and the last block's progress report: whole
 * Write Memory cycles only), the whole flash (sector erase + write, as `session.flash`), the
 * read-back verify on its own (Read Memory; the F4's v3.1 bootloader has no checksum command),
 * and flash + verify. Last line: one JSON object.
 */
import type { FlashProgress } from "@factory/core";
import { createSimBinding } from "@factory/serial";
import { Stm32Driver } from "../src/driver/driver";
import { An3155Simulator } from "../src/simulator/an3155-device";
import { F4_DATASHEET_TIMING } from "../src/simulator/chip";
import { FakeDfuDevice, FakeUsbHost } from "../src/simulator/fake-usb";

const SIZE = Number(process.argv[2] ?? 512) * 1024;
const BASE = 0x0800_0000;
const BAUD = 115200;
const BLOCK = 256;
const image = Uint8Array.from({ length: SIZE }, (_, i) => (i * 2654435761) >>> 24);
const wireMs = (bytes: number): number => (bytes * 11 * 1000) / BAUD;
/**
 * The best a Write Memory cycle can do: the bytes on the line one after the other (pipelined:
 * 7 command + address, the address ACK, 258 of block, the block's ACK; stepwise 2 + ACK + 5 + ACK
 * + 258 + ACK) plus the part's programming time of 256 bytes, with no host reaction time at all.
 */
const programMs = (BLOCK / 1024) * F4_DATASHEET_TIMING.writeMsPerKb;
const ceiling = (lineBytes: number): number => wireMs(BLOCK) / (wireMs(lineBytes) + programMs);

async function uart(pipelineWrites: boolean) {
  const binding = createSimBinding();
  const sim = new An3155Simulator({ chip: { pid: 0x413, timing: F4_DATASHEET_TIMING } });
  const cable = binding.add("sim:bench", sim, { timing: "real" });
  const driver = new Stm32Driver({
    transport: "uart",
    binding,
    baudRate: BAUD,
    parity: "even",
    pipelineWrites,
  });
  const session = await driver.open({ path: "sim:bench" });
  const cpu = process.cpuUsage();
  try {
    await session.identify();
    let first = 0;
    let last = 0;
    const before = { ...cable.stats };
    const started = performance.now();
    await session.flash(
      { regions: [{ name: "app", offset: BASE, data: image }] },
      {
        onProgress: (p: FlashProgress) => {
          if (p.phase !== "write") return;
          last = performance.now();
          if (first === 0) first = last;
        },
      },
    );
    const flashed = performance.now();
    const blocks = SIZE / BLOCK;
    // Load-independent: line bytes per 256-byte block, both ways (erase and its ACK included).
    const lineBytes = {
      toDevice: (cable.stats.toDevice - before.toDevice) / blocks,
      toHost: (cable.stats.toHost - before.toHost) / blocks,
    };
    if (Buffer.compare(Buffer.from(sim.chip.flash.subarray(0, SIZE)), Buffer.from(image)) !== 0) {
      throw new Error("UART bench: the simulated flash does not hold the image");
    }
    const verified = await session.verify({ regions: [{ name: "app", offset: BASE, data: image }] });
    const ended = performance.now();
    if (!verified.ok) throw new Error("UART bench: verify failed");
    const used = process.cpuUsage(cpu);
    const cycles = SIZE / BLOCK - 1;
    return {
      writeMs: last - first,
      flashMs: flashed - started,
      verifyMs: ended - flashed,
      write: wireMs(cycles * BLOCK) / (last - first),
      flash: wireMs(SIZE) / (flashed - started),
      verify: wireMs(SIZE) / (ended - flashed),
      flashAndVerify: wireMs(SIZE) / (ended - started),
      cpuS: (used.user + used.system) / 1e6,
      lineBytes,
    };
  } finally {
    await session.close();
  }
}

/** Full-speed USB model: 1 ms per control transfer plus 800 bytes per ms. */
const USB = { perTransferMs: 1, bytesPerMs: 800 };

async function dfu() {
  const device = new FakeDfuDevice({ chip: { pid: 0x413, timing: F4_DATASHEET_TIMING }, usbTiming: USB });
  const driver = new Stm32Driver({ transport: "dfu", usb: new FakeUsbHost([device]) });
  const session = await driver.open({ path: "usb:1-1" });
  try {
    let first = 0;
    let last = 0;
    let reports = 0;
    const started = performance.now();
    await session.flash(
      { regions: [{ name: "app", offset: BASE, data: image }] },
      {
        onProgress: (p) => {
          if (p.phase !== "write") return;
          last = performance.now();
          reports += 1;
          if (first === 0) first = last;
        },
      },
    );
    const ended = performance.now();
    const verifyStart = performance.now();
    const verified = await session.verify({ regions: [{ name: "app", offset: BASE, data: image }] });
    const verifyMs = performance.now() - verifyStart;
    if (!verified.ok) throw new Error("DFU bench: verify failed");
    // One block: DNLOAD (setup + 2048 bytes), GETSTATUS (→ dfuDNBUSY, bwPollTimeout), the wait,
    // GETSTATUS (→ dfuDNLOAD-IDLE). The poll timeout is the part's programming time of 2 KB.
    const pollMs = Math.max(1, Math.ceil((2048 / 1024) * F4_DATASHEET_TIMING.writeMsPerKb));
    const blockMs =
      USB.perTransferMs + 2048 / USB.bytesPerMs + 2 * (USB.perTransferMs + 6 / USB.bytesPerMs) + pollMs;
    return {
      blocks: SIZE / 2048,
      totalMs: ended - started,
      writeMs: last - first,
      blocksPerSecond: ((reports - 1) * 1000) / (last - first),
      ceiling: 1000 / blockMs,
      pollMs,
      pollViolations: device.model.pollViolations,
      verifyKBps: SIZE / 1024 / (verifyMs / 1000),
    };
  } finally {
    await session.close();
  }
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const line = (name: string, r: Awaited<ReturnType<typeof uart>>): string =>
  `UART 115200 8E1, ${SIZE / 1024} KB, ${name}: write ${s(r.writeMs)} → ${pct(r.write)} of the wire; erase + write ${s(r.flashMs)} → ${pct(r.flash)}; read-back verify ${s(r.verifyMs)} → ${pct(r.verify)}; flash + verify ${pct(r.flashAndVerify)}; ${r.lineBytes.toDevice.toFixed(2)} bytes to the part and ${r.lineBytes.toHost.toFixed(2)} back per 256; ${r.cpuS.toFixed(1)} CPU s`;

console.log(
  `wire limit: ${s(wireMs(SIZE))} for ${SIZE} image bytes at ${BAUD} baud, 11 bits each; Write Memory ceiling with ${programMs.toFixed(3)} ms programming per block: ${pct(ceiling(267))} pipelined, ${pct(ceiling(268))} stepwise`,
);
const piped = await uart(true);
console.log(line("command + address in one burst (default)", piped));
const plain = await uart(false);
console.log(line("one round trip per step (as stm32flash)", plain));
const d = await dfu();
console.log(
  `DFU (full-speed USB model, F4 poll timeouts), ${SIZE / 1024} KB: ${d.blocks} blocks of 2 KB, ${d.blocksPerSecond.toFixed(1)} blocks/s (ceiling ${d.ceiling.toFixed(1)} with bwPollTimeout ${d.pollMs} ms); whole flash ${(d.totalMs / 1000).toFixed(2)} s; early polls ${d.pollViolations}; read-back ${d.verifyKBps.toFixed(0)} KB/s`,
);
console.log(
  JSON.stringify({
    uart_wire_efficiency: Number(piped.write.toFixed(3)),
    uart_wire_efficiency_ceiling: Number(ceiling(267).toFixed(3)),
    uart_wire_efficiency_total: Number(piped.flash.toFixed(3)),
    uart_verify_efficiency: Number(piped.verify.toFixed(3)),
    uart_flash_and_verify_efficiency: Number(piped.flashAndVerify.toFixed(3)),
    uart_line_bytes_per_block: Number(piped.lineBytes.toDevice.toFixed(2)),
    uart_wire_efficiency_stepwise: Number(plain.write.toFixed(3)),
    uart_wire_efficiency_stepwise_total: Number(plain.flash.toFixed(3)),
    dfu_blocks_per_s: Number(d.blocksPerSecond.toFixed(1)),
    dfu_blocks_per_s_ceiling: Number(d.ceiling.toFixed(1)),
    dfu_poll_violations: d.pollViolations,
    dfu_write_s: Number((d.writeMs / 1000).toFixed(2)),
  }),
);
