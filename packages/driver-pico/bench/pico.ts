/**
 * `pnpm bench pico`: UF2 conversion throughput, and the driver's own overhead per flash through the
 * picotool test double (simulated flash speed set very high, so the figure is process spawns, file
 * handling and parsing, not USB). Last line: one JSON object.
 */
import { createPicoDriver } from "../src/driver/driver";
import { createPicoLab } from "../src/simulator/lab";
import { testImage } from "../src/test-support";
import { readUf2 } from "../src/uf2/reader";
import { writeUf2 } from "../src/uf2/writer";

const image = testImage(2 << 20, 42);
const rounds = 5;
let t = performance.now();
let uf2 = new Uint8Array();
for (let i = 0; i < rounds; i += 1) uf2 = writeUf2(image, { family: "rp2040", flashSize: 4 << 20 });
const writeMs = (performance.now() - t) / rounds;
t = performance.now();
for (let i = 0; i < rounds; i += 1) readUf2(uf2, { family: "rp2040", flashSize: 4 << 20 });
const readMs = (performance.now() - t) / rounds;
const mb = image.length / 1e6;
console.log(`UF2 write: ${(mb / (writeMs / 1000)).toFixed(1)} MB/s (${writeMs.toFixed(1)} ms for 2 MiB)`);
console.log(
  `UF2 read+validate: ${(mb / (readMs / 1000)).toFixed(1)} MB/s (${readMs.toFixed(1)} ms for 2 MiB)`,
);

const lab = await createPicoLab({ bytesPerSecond: 1e12 });
try {
  lab.addBoard({ location: "1-2", flashSize: 4 << 20 });
  const driver = createPicoDriver(lab.driverOptions);
  const plan = { regions: [{ name: "app", offset: 0, data: testImage(256 * 1024, 7) }] };
  const s = await driver.open({ path: "usb:1-2" });
  try {
    await s.identify();
    const calls0 = lab.picotool.calls.length;
    t = performance.now();
    await s.flash(plan);
    const flashMs = performance.now() - t;
    t = performance.now();
    const verified = await s.verify(plan);
    const verifyMs = performance.now() - t;
    t = performance.now();
    const again = await s.flash(plan);
    const skipMs = performance.now() - t;
    const calls = lab.picotool.calls.length - calls0;
    console.log(
      `flash 256 KiB: ${flashMs.toFixed(0)} ms; verify: ${verifyMs.toFixed(0)} ms (ok=${verified.ok}); unchanged reflash: ${skipMs.toFixed(0)} ms (skipped=${again.regions[0]?.skipped})`,
    );
    console.log(
      JSON.stringify({
        uf2_write_mb_s: Number((mb / (writeMs / 1000)).toFixed(1)),
        uf2_read_mb_s: Number((mb / (readMs / 1000)).toFixed(1)),
        flash_256k_overhead_ms: Math.round(flashMs),
        verify_256k_overhead_ms: Math.round(verifyMs),
        skip_unchanged_ms: Math.round(skipMs),
        picotool_calls: calls,
      }),
    );
  } finally {
    await s.close();
  }
} finally {
  await lab.close();
}
