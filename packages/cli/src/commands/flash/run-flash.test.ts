import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type BatchReport,
  csvRecordFileName,
  type FactoryConfig,
  type PipelineEvent,
  readCsvRecords,
} from "@factory/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flashLine } from "./run-flash";
import {
  ADMIN_TOKEN,
  adminGet,
  growBigImage,
  type LineSpec,
  type ServeProcess,
  simPorts,
  simulatedDrivers,
  startServer,
  writeLine,
} from "./test-support";

describe("factory flash: a 24-board batch on simulators with injected faults", () => {
  let dir: string;
  let server: ServeProcess;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-"));
    server = await startServer(dir);
  });
  afterAll(() => {
    server?.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes and fails exactly the right ports, records them and registers only the passing ones", async () => {
    const out = path.join(dir, "line");
    const config = await writeLine(out, {
      head: `
provisioning_service_url: "${server.url}"
registration: { token_env: FACTORY_STATION_TOKEN }`,
      stations: [
        { id: "station_1", ports: simPorts(0, 20) },
        { id: "station_2", ports: simPorts(20, 4), board: "esp32-big" },
      ],
      boards: { esp32: { settings: "{ connectAttempts: 2 }" }, "esp32-big": { firmware: "big" } },
      bootTest: true,
      tail: `
quality_gates:
  max_firmware_size: { esp32: "150KB", esp32-big: "150KB" }
  max_flash_time: 120
  max_retry_attempts: 2
logging: { level: DEBUG, max_file_size: 100000, backup_count: 2 }`,
    });
    // The image grew over its gate after the config was checked (a new build copied in).
    growBigImage(out);
    // station_1: port 3 answers the probe, then never syncs (bad contact on the bed), port 7 is unplugged mid-write, port 11's app fails its console test.
    const { drivers, bindings, sims } = simulatedDrivers((station, i) => {
      if (station.stationId !== "station_1") return {};
      if (i === 11) return { console: { info: "ERR sensor" } };
      return {};
    });
    const events: PipelineEvent[] = [];
    const result = await flashLine({
      config,
      mode: "batch",
      signal: new AbortController().signal,
      env: { FACTORY_STATION_TOKEN: ADMIN_TOKEN },
      drivers,
      onEvent: (station, e) => {
        events.push(e);
        if (
          station === "station_1" &&
          e.port.path === "sim:esp32-3" &&
          e.type === "port-state" &&
          e.state === "busy"
        ) {
          sims.get("station_1/sim:esp32-3")!.faults.noSync = true;
        }
        const half =
          e.type === "progress" &&
          e.progress.region === "app" &&
          e.progress.bytesDone * 2 >= e.progress.bytesTotal;
        if (station === "station_1" && e.port.path === "sim:esp32-7" && half)
          sims.get("station_1/sim:esp32-7")!.unplug();
      },
    });

    const status = Object.fromEntries(
      result.batches.flatMap((b) => b.results.map((r) => [`${b.stationId}/${r.port.path}`, r])),
    );
    expect(Object.keys(status)).toHaveLength(24);
    const failedKeys = Object.entries(status)
      .filter(([, r]) => r.status !== "passed")
      .map(([k]) => k)
      .sort();
    expect(failedKeys).toEqual(
      [
        "station_1/sim:esp32-11",
        "station_1/sim:esp32-3",
        "station_1/sim:esp32-7",
        ...[20, 21, 22, 23].map((i) => `station_2/sim:esp32-${i}`),
      ].sort(),
    );
    expect(status["station_1/sim:esp32-3"]!.error).toMatchObject({ code: "SYNC_FAILED", step: "detect" });
    expect(status["station_1/sim:esp32-7"]!.error?.code).toMatch(/^PORT_(DISCONNECTED|NOT_FOUND)$/);
    expect(status["station_1/sim:esp32-11"]!.error?.step).toBe("test");
    expect(status["station_1/sim:esp32-11"]!.tests).toMatchObject([{ name: "boot_test", passed: false }]);
    for (let i = 20; i < 24; i++) {
      expect(status[`station_2/sim:esp32-${i}`]!.error).toMatchObject({ code: "GATE_FAILED" });
      expect(status[`station_2/sim:esp32-${i}`]!.attempts).toBe(1);
    }
    const passing = Object.values(status).filter((r) => r.status === "passed");
    expect(passing).toHaveLength(17);
    // Every port was busy at the same time at some point: all ports run concurrently.
    expect(events.filter((e) => e.type === "port-state" && e.state === "busy")).toHaveLength(24);

    // What is in the chips' flash is the images from config, each at its offset.
    const images = Object.fromEntries(
      config.boardConfigs.esp32!.regions.map((r) => [r.name, readFileSync(r.path)]),
    );
    for (const port of ["sim:esp32-0", "sim:esp32-19"]) {
      const sim = sims.get(`station_1/${port}`)!;
      for (const region of config.boardConfigs.esp32!.regions) {
        expect(Buffer.from(sim.readFlashImage(region.offset, images[region.name]!.length))).toEqual(
          images[region.name],
        );
      }
    }

    // Daily CSV: one row per finished device, matching the results.
    const rows = await readCsvRecords(path.join(out, csvRecordFileName(new Date())));
    expect(rows).toHaveLength(24);
    for (const row of rows) {
      const r = status[`${row.station_id}/${row.port}`]!;
      expect(row.status).toBe(r.status);
      if (r.status === "passed") {
        expect(row.device_id).toBe(r.deviceId);
        expect(row.mac_address).toBe(r.identity?.mac);
        expect(row.tests_passed).toBe("1");
      } else {
        expect(row.error_code).toBe(r.error?.code);
      }
    }
    // Batch report.
    const report = JSON.parse(readFileSync(result.reportFile!, "utf8")) as BatchReport;
    expect(report.totals).toMatchObject({ passed: 17, failed: 7 });
    expect(report.stations.station_2).toMatchObject({ passed: 0, failed: 4 });
    expect(report.failures.byCode.GATE_FAILED).toBe(4);

    // Registrations on the server: exactly the passing devices.
    const res = await adminGet(`${server.url}/api/admin/device-registrations?limit=1000`);
    const body = (await res.json()) as { registrations: { deviceId?: string; device_id?: string }[] };
    const registered = body.registrations.map((r) => r.deviceId ?? r.device_id).sort();
    expect(registered).toEqual(passing.map((r) => r.deviceId).sort());
    expect(result.pendingRegistrations).toBe(0);

    // The same records on the server: one per CSV row, with the row's data; and the batch report.
    const got = await adminGet(`${server.url}/api/board-line/records?limit=1000`);
    const { records } = (await got.json()) as { records: Record<string, string>[] };
    const byPort = (list: Record<string, string>[]) =>
      Object.fromEntries(list.map((r) => [`${r.station_id}/${r.port}`, r]));
    const csvRows = byPort(rows as unknown as Record<string, string>[]);
    expect(records).toHaveLength(24);
    for (const [key, rec] of Object.entries(byPort(records))) {
      const { record_id, ...cells } = rec;
      expect(record_id).toMatch(/^[0-9a-f]{32}$/);
      expect(cells).toEqual(csvRows[key]);
    }
    expect(result.pendingRecords).toBe(0);
    const reportId = encodeURIComponent(report.batchIds.join("+"));
    const stored = await adminGet(`${server.url}/api/board-line/reports/${reportId}`);
    expect(((await stored.json()) as { report: BatchReport }).report).toEqual(report);

    // The dashboard's live view holds every port's final state.
    const live = await adminGet(`${server.url}/api/board-line`);
    const { stations } = (await live.json()) as {
      stations: { station_id: string; ports: { port: string; state: string }[] }[];
    };
    const liveState = Object.fromEntries(
      stations.flatMap((s) => s.ports.map((p) => [`${s.station_id}/${p.port}`, p.state])),
    );
    expect(liveState).toEqual(Object.fromEntries(Object.entries(status).map(([k, r]) => [k, r.status])));

    // One QR PNG per passing device, and no secret in the CSV or the log.
    const qr = readdirSync(path.join(out, "qr")).sort();
    expect(qr).toEqual(passing.map((r) => `${r.deviceId}.png`).sort());
    expect(
      readFileSync(path.join(out, "qr", qr[0]!))
        .subarray(1, 4)
        .toString(),
    ).toBe("PNG");

    // No port left busy: every simulated port opens again.
    for (const [station, binding] of bindings) {
      const ports = config.stations.find((s) => s.stationId === station)!.ports;
      for (const port of ports) {
        if (station === "station_1" && port.path === "sim:esp32-7") continue; // unplugged by its fault
        const open = await binding.open({ path: port.path, baudRate: 115200 } as never);
        await open.close();
      }
    }
  });

  it("stops cleanly on Ctrl-C and records what finished", async () => {
    const out = path.join(dir, "stopped");
    const config = await writeLine(out, {
      stations: [
        { id: "fast", ports: simPorts(0, 3) },
        { id: "slow", ports: simPorts(3, 3) },
      ],
      boards: { esp32: { settings: "{ baudRate: 115200 }" } },
    });
    // The slow station's simulators send every byte at 10 bits per baud: 115200 baud takes seconds.
    const { drivers, bindings } = simulatedDrivers((station) =>
      station.stationId === "slow" ? { timing: "real" } : {},
    );
    const stop = new AbortController();
    let fastDone = 0;
    const result = await flashLine({
      config,
      mode: "batch",
      signal: stop.signal,
      drivers,
      onEvent: (station, e) => {
        if (station === "fast" && e.type === "device-done" && ++fastDone === 3) stop.abort();
      },
    });
    expect(result.aborted).toBe(true);
    const fast = result.batches.find((b) => b.stationId === "fast")!;
    const slow = result.batches.find((b) => b.stationId === "slow")!;
    expect(fast.results.map((r) => r.status)).toEqual(["passed", "passed", "passed"]);
    expect(slow.results.map((r) => r.status)).toEqual(["aborted", "aborted", "aborted"]);
    const rows = await readCsvRecords(path.join(out, csvRecordFileName(new Date())));
    expect(rows.map((r) => `${r.station_id}/${r.port}/${r.status}`).sort()).toEqual(
      [0, 1, 2].map((i) => `fast/sim:esp32-${i}/passed`),
    );
    const report = JSON.parse(readFileSync(result.reportFile!, "utf8")) as BatchReport;
    expect(report.totals).toMatchObject({ passed: 3, failed: 0 });
    for (const [station, binding] of bindings) {
      for (const port of config.stations.find((s) => s.stationId === station)!.ports) {
        const open = await binding.open({ path: port.path, baudRate: 115200 } as never);
        await open.close();
      }
    }
  });

  it("queues registrations while the server is down and delivers them once, on the next run", async () => {
    const out = path.join(dir, "offline");
    // Down, a refused connection needs no long wait; up, the server gets 30 s per call, as a busy
    // machine can hold a reply past a couple of seconds (the registration would queue instead).
    const yaml = (url: string, timeout: number): LineSpec => ({
      head: `
provisioning_service_url: "${url}"
registration: { token_env: FACTORY_STATION_TOKEN, timeout: ${timeout} }
batch_id: "offline-batch"`,
      stations: [{ id: "station_9", ports: simPorts(0, 3) }],
    });
    const env = { FACTORY_STATION_TOKEN: ADMIN_TOKEN };
    // Boards of their own (MACs no other test flashed), so the server has never seen them.
    const offlineMacs = (_s: unknown, i: number) => ({ mac: `24:0a:c4:99:00:0${i}` });
    const run = (config: FactoryConfig) =>
      flashLine({
        config,
        mode: "batch",
        signal: new AbortController().signal,
        env,
        ...simulatedDrivers(offlineMacs),
      });
    // Nothing listens on port 9 of loopback (discard service is not run here): the server is "down".
    const first = await run(await writeLine(out, yaml("http://127.0.0.1:9", 2)));
    expect(first.batches[0]!.results.map((r) => r.status)).toEqual(["passed", "passed", "passed"]);
    expect(first.batches[0]!.results.every((r) => r.registration?.queued === true)).toBe(true);
    expect(first.pendingRegistrations).toBe(3);
    // Three device records and the batch report wait for the server too.
    expect(first.pendingRecords).toBe(4);

    const second = await run(await writeLine(out, yaml(server.url, 30)));
    expect(second.pendingRegistrations).toBe(0);
    const res = await adminGet(
      `${server.url}/api/admin/device-registrations?batch_id=offline-batch&limit=1000`,
    );
    const body = (await res.json()) as { registrations: { deviceId?: string; device_id?: string }[] };
    const ids = body.registrations.map((r) => r.deviceId ?? r.device_id);
    expect(ids.sort()).toEqual(first.batches[0]!.results.map((r) => r.deviceId).sort());
    // The first run's records reached the server on the second run, once, beside the second's.
    expect(second.pendingRecords).toBe(0);
    const got = await adminGet(`${server.url}/api/board-line/records?batch_id=offline-batch&limit=1000`);
    const { records } = (await got.json()) as { records: { device_id: string }[] };
    const devices = [...first.batches[0]!.results, ...second.batches[0]!.results].map((r) => r.deviceId);
    expect(records.map((r) => r.device_id).sort()).toEqual(devices.sort());
  });
});
