/**
 * `pnpm bench line`: the board line end to end (`flashLine`, the code behind `factory flash`) on
 * 1, 24 and 48 simulated ESP32 ports at 921600 baud, each flashing a 1 MB app (plus bootloader and
 * partition table) with the time-accurate simulator (bytes at 10 bits per baud, realistic flash
 * erase/program/MD5 times). Reports the batch time over the time of one board alone (the goal is
 * ≤ 1.10 at 48 ports on 2 cores), CPU seconds per board and the peak resident memory of the process
 * (simulators included: they share the process with the host side, so this is an upper bound).
 * `--quick` runs 24 ports only. The simulators' flash (sparse: only programmed 4 KiB sectors take
 * memory, about 1.1 MiB per port here) is part of the measured RSS.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "@factory/core";
import { createEspDriver } from "@factory/driver-esp";
import {
  createEspSimulator,
  EspSimBinding,
  makeFirmwareImage,
  makePartitionTable,
} from "@factory/driver-esp/simulator";
import { flashLine } from "../src/commands/flash/run-flash";
import type { DriverSource } from "../src/commands/flash/station-setup";

const quick = process.argv.includes("--quick");
const dir = mkdtempSync(path.join(tmpdir(), "factory-bench-line-"));

async function runLine(ports: number): Promise<{ ms: number; cpuS: number; passed: number }> {
  const out = path.join(dir, `ports-${ports}`);
  mkdirSync(out, { recursive: true });
  const img = (name: string, data: Uint8Array) => {
    const file = path.join(out, name);
    writeFileSync(file, data);
    return file;
  };
  const app = img("app.bin", makeFirmwareImage({ size: 1024 * 1024, seed: 7 }));
  const boot = img("bootloader.bin", makeFirmwareImage({ size: 24 * 1024, seed: 8 }));
  const parts = img("partitions.bin", makePartitionTable(0x200000));
  const list = Array.from({ length: ports }, (_, i) => `"sim:esp32-${i}"`).join(", ");
  writeFileSync(
    path.join(out, "factory-config.yaml"),
    `stations:
  - station_id: "bench"
    ports: [${list}]
    board_type: "esp32"
board_configs:
  esp32:
    platform: "esp32"
    flash_size: "4MB"
    firmware_path: "${app}"
    bootloader_path: "${boot}"
    partition_table_path: "${parts}"
    settings: { baudRate: 921600 }
testing: { enabled: false }
logging: { level: WARNING }
`,
  );
  const config = await loadConfig(path.join(out, "factory-config.yaml"), { cwd: out });
  const drivers: DriverSource = async (board, station) => {
    const binding = new EspSimBinding();
    for (const [i, port] of station.ports.entries()) {
      binding.add(port.path, await createEspSimulator({ chip: "esp32", timing: "real", seed: i + 1 }));
    }
    return createEspDriver({ ...(board.settings as object), binding, fallbackBaudRates: [] });
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await flashLine({ config, mode: "batch", signal: new AbortController().signal, drivers });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const passed = result.batches.reduce((n, b) => n + b.passed, 0);
  if (passed !== ports) {
    const failed = result.batches.flatMap((b) => b.results).find((r) => r.status !== "passed");
    throw new Error(
      `${ports - passed} of ${ports} boards failed: ${failed?.error?.code} ${failed?.error?.message}`,
    );
  }
  return { ms, cpuS: (cpu.user + cpu.system) / 1e6, passed };
}

try {
  // Warm the process up (module loading, JIT) so the single-board time is not inflated by it.
  await runLine(1);
  const one = await runLine(1);
  console.log(`1 board alone: ${(one.ms / 1000).toFixed(2)} s, CPU ${one.cpuS.toFixed(2)} s`);
  const figures: Record<string, number> = { one_board_s: round(one.ms / 1000) };
  for (const ports of quick ? [24] : [24, 48]) {
    const r = await runLine(ports);
    const ratio = r.ms / one.ms;
    console.log(
      `${ports} boards: ${(r.ms / 1000).toFixed(2)} s, ratio ${ratio.toFixed(3)}, CPU ${(r.cpuS / ports).toFixed(3)} s/board`,
    );
    figures[`batch_${ports}_s`] = round(r.ms / 1000);
    figures[`ratio_${ports}`] = round(ratio);
    figures[`cpu_s_per_board_${ports}`] = round(r.cpuS / ports);
  }
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB`);
  // Other work on the machine stretches every figure but CPU seconds and memory: say how busy it was.
  const load = loadavg()[0] ?? 0;
  console.log(`load average (1 min): ${load.toFixed(2)} on ${availableParallelism()} cores`);
  console.log(
    JSON.stringify({
      ...figures,
      peak_rss_mb: Math.round(peakRssMb),
      load_avg_1m: round(load),
      cores: availableParallelism(),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
