/**
 * `pnpm bench avr [sizeBytes] [baud] [pageProgramMs]`: writes a 30 KB sketch at 115200 baud to the
 * time-accurate optiboot simulator and compares the time taken with the wire limit.
 *
 * Wire limit = the time every byte of the exchange (commands and page data to the board, replies
 * back) needs on the UART at 10 bits per byte, plus the time the chip spends programming pages
 * (optiboot holds the final `10` of PROG_PAGE until the page is written; no host can overlap it).
 * `wire_efficiency` = wire limit / measured time: what the driver and its timers waste.
 * `payload_efficiency` = the image's own bytes at 10 bits / measured time (STK500v1's ceiling is
 * 128 / 137 per page before any programming time).
 */
import { createSimBinding } from "@factory/serial";
import { createAvrDriver } from "../src/index";
import { createOptibootSimulator } from "../src/simulator/index";

const size = Number(process.argv[2] ?? 30 * 1024);
const baud = Number(process.argv[3] ?? 115200);
const pageProgramMs = Number(process.argv[4] ?? 4);

const image = Uint8Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24);
const binding = createSimBinding();
const sim = createOptibootSimulator({ board: "uno", timing: "real", pageProgramMs });
const cable = binding.add("sim:avr-bench", sim, { timing: "real" });
const driver = createAvrDriver({ binding, baudRate: baud, resetTimings: { releaseMs: 50, settleMs: 20 } });

const session = await driver.open({ path: "sim:avr-bench" });
try {
  const before = {
    toDevice: cable.stats.toDevice,
    toHost: cable.stats.toHost,
    programMs: sim.stats.programMs,
  };
  const started = performance.now();
  await session.flash({ regions: [{ name: "sketch", offset: 0, data: image }] });
  const elapsed = performance.now() - started;
  const toDevice = cable.stats.toDevice - before.toDevice;
  const toHost = cable.stats.toHost - before.toHost;
  const programMs = sim.stats.programMs - before.programMs;
  const byteMs = 10_000 / baud;
  const wireMs = Math.max(toDevice, toHost) * byteMs;
  const limitMs = wireMs + programMs;

  const verifyStarted = performance.now();
  const verified = await session.verify({ regions: [{ name: "sketch", offset: 0, data: image }] });
  const verifyMs = performance.now() - verifyStarted;
  if (!verified.ok || !Buffer.from(sim.flash.subarray(0, size)).equals(Buffer.from(image))) {
    throw new Error("bench image did not verify");
  }

  const result = {
    bench: "avr",
    bytes: size,
    baud,
    pages: Math.ceil(size / 128),
    page_program_ms: pageProgramMs,
    bytes_to_board: toDevice,
    bytes_from_board: toHost,
    elapsed_ms: Math.round(elapsed),
    wire_limit_ms: Math.round(limitMs),
    wire_efficiency: Number((limitMs / elapsed).toFixed(3)),
    wire_only_efficiency: Number((wireMs / elapsed).toFixed(3)),
    payload_efficiency: Number(((size * byteMs) / elapsed).toFixed(3)),
    throughput_bytes_per_s: Math.round((size * 1000) / elapsed),
    verify_ms: Math.round(verifyMs),
  };
  console.log(
    `wrote ${size} bytes in ${result.elapsed_ms} ms at ${baud} baud (${result.throughput_bytes_per_s} B/s)`,
  );
  console.log(`wire: ${toDevice} bytes to the board, ${toHost} back; limit ${result.wire_limit_ms} ms`);
  console.log(`  (${Math.round(wireMs)} ms on the wire + ${programMs} ms page programming)`);
  console.log(`wire efficiency ${result.wire_efficiency}, payload efficiency ${result.payload_efficiency}`);
  console.log(`read-back verify: ${result.verify_ms} ms`);
  console.log(JSON.stringify(result));
} finally {
  await session.close();
}
