// The seed's ESP32 line as one function: stations from factory-config.yaml, all ports at once, console
// tests and quality gates, registration (queued while the server is down), CSV rows and a batch report.
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as f from "@factory/core";

export async function runLine(
  file: string,
  signal: AbortSignal,
  driverSettings: Record<string, unknown> = {},
) {
  const config = await f.loadConfig(file, { signal });
  const { registration: reg, qualityGates: gates, outputDir } = config;
  const registrar = reg.url
    ? f.createHttpRegistrar({
        url: reg.url,
        token: process.env[reg.tokenEnv ?? ""],
        queueFile: path.join(outputDir, "queue.jsonl"),
      })
    : undefined;
  const recorder = f.createCsvRecordSink({ dir: outputDir });
  const tests = config.testing.tests.map((t) => ({
    name: t.name,
    command: t.command,
    expect: t.expectedResponse,
    timeoutMs: t.timeoutMs,
  }));
  const batches = await Promise.all(
    config.stations.map(async ({ stationId, boardType, ports }) => {
      const board = config.boardConfigs[boardType]!;
      const driver = await f.loadBoardDriver(
        board.driver,
        { ...board.settings, ...driverSettings },
        { baseDir: config.baseDir },
      );
      const plan = {
        regions: await Promise.all(
          board.regions.map(async (r) => ({
            ...r,
            data: new Uint8Array(await readFile(r.path)),
            cache: new Map(),
          })),
        ),
      };
      const station = f.createStation({
        id: stationId,
        driver,
        ports,
        boardType,
        plan,
        pipeline: {
          tests: config.testing.enabled ? tests : [],
          registrar,
          recorder,
          gates: { maxFirmwareSize: gates.maxFirmwareSize[boardType], maxFlashTimeMs: gates.maxFlashTimeMs },
          retry: { maxAttempts: gates.maxRetryAttempts },
        },
      });
      station.onEvent(
        (e) =>
          e.type === "device-done" &&
          console.log(
            stationId,
            e.port.path,
            e.result.status,
            e.result.deviceId ?? "",
            e.result.error?.code ?? "",
          ),
      );
      return station.runBatch({ signal });
    }),
  );
  await recorder.close();
  const { file: report } = await f.writeBatchReport(outputDir, batches);
  console.log(`batch report: ${report}`);
  return batches.every((b) => b.failed === 0 && !b.aborted);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.exitCode = (await runLine(process.argv[2] ?? "factory-config.yaml", stop.signal)) ? 0 : 1;
}
