import { describe, expect, it } from "vitest";
import type { DeviceRecord } from "../contracts/records";
import type { PipelineEvent } from "../pipeline/types";
import { createFakeBoard } from "../testing/fake-board";
import { createStation } from "./create-station";

const plan = {
  regions: [
    { name: "bootloader", offset: 0x1000, data: new Uint8Array(4_096).fill(0x11) },
    { name: "app", offset: 0x10000, data: new Uint8Array(48_000).map((_, i) => i & 0xff) },
  ],
};
const tests = [{ name: "boot_test", command: "info", expect: "OK", timeoutMs: 300 }];
const ports = Array.from({ length: 8 }, (_, i) => ({ path: `/dev/ttyUSB${i}` }));

describe("createStation", () => {
  it("runs every port concurrently; faults on some ports leave the others untouched", async () => {
    const fake = createFakeBoard({ families: ["esp32"] });
    const devices = ports.map((p) => fake.plug(p.path, { bytesPerSecond: 2_000_000 }));
    fake.inject("/dev/ttyUSB1", { op: "open", code: "SYNC_FAILED" }); // never syncs
    fake.inject("/dev/ttyUSB4", { op: "flash", hang: true }); // stops answering mid-job
    devices[6]!.console = { info: "PANIC" }; // boots but fails its test
    fake.inject("/dev/ttyUSB3", { op: "open", code: "SYNC_FAILED", times: 1 }); // flaky once, then fine

    const records: DeviceRecord[] = [];
    const events: PipelineEvent[] = [];
    const station = createStation({
      id: "station_1",
      driver: fake.driver,
      ports,
      boardType: "esp32",
      plan,
      pipeline: {
        tests,
        retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 },
        timeouts: { write: 300 },
        recorder: { write: async (r) => void records.push(r) },
      },
    });
    station.onEvent((e) => events.push(e));
    const batch = await station.runBatch();

    const status = Object.fromEntries(batch.results.map((r) => [r.port.path, [r.status, r.error?.code]]));
    expect(status).toEqual({
      "/dev/ttyUSB0": ["passed", undefined],
      "/dev/ttyUSB1": ["failed", "SYNC_FAILED"],
      "/dev/ttyUSB2": ["passed", undefined],
      "/dev/ttyUSB3": ["passed", undefined],
      "/dev/ttyUSB4": ["failed", "TIMEOUT"],
      "/dev/ttyUSB5": ["passed", undefined],
      "/dev/ttyUSB6": ["failed", "TEST_FAILED"],
      "/dev/ttyUSB7": ["passed", undefined],
    });
    expect(batch).toMatchObject({ passed: 5, failed: 3, stationId: "station_1", aborted: false });
    for (const i of [0, 2, 3, 5, 7]) {
      const app = plan.regions[1]!;
      expect(
        Buffer.from(devices[i]!.memory.subarray(app.offset, app.offset + app.data.length)).equals(
          Buffer.from(app.data),
        ),
      ).toBe(true);
    }
    expect(records.map((r) => r.port).sort()).toEqual(ports.map((p) => p.path).sort());
    expect(new Set(records.map((r) => r.batchId))).toEqual(new Set([batch.batchId]));
    expect(fake.openPorts()).toEqual([]);

    // The hung port did not hold the others back: every good port finished before it did.
    const doneOrder = events.filter((e) => e.type === "device-done").map((e) => e.port.path);
    for (const good of ["/dev/ttyUSB0", "/dev/ttyUSB2", "/dev/ttyUSB5", "/dev/ttyUSB7"]) {
      expect(doneOrder.indexOf(good)).toBeLessThan(doneOrder.indexOf("/dev/ttyUSB4"));
    }
    // Ports worked at the same time: a second port started writing before the first finished.
    const firstDone = events.findIndex((e) => e.type === "device-done");
    const writesStartedBefore = new Set(
      events
        .slice(0, firstDone)
        .filter((e) => e.type === "step-start" && e.step === "write")
        .map((e) => e.port.path),
    );
    expect(writesStartedBefore.size).toBeGreaterThan(1);
  });

  it("provisions only ports with a device, up to the batch size", async () => {
    const fake = createFakeBoard();
    fake.plug("/dev/ttyUSB0");
    fake.plug("/dev/ttyUSB2");
    fake.plug("/dev/ttyUSB5");
    const station = createStation({ id: "s", driver: fake.driver, ports, boardType: "fake32", plan });
    const batch = await station.runBatch({ limit: 2 });
    expect(batch.results.map((r) => r.port.path)).toEqual(["/dev/ttyUSB0", "/dev/ttyUSB2"]);
    expect(fake.device("/dev/ttyUSB5")!.writes).toEqual([]);
  });

  it("respects the driver's concurrency limit", async () => {
    const fake = createFakeBoard({ capabilities: { maxConcurrentSessions: 2 } });
    for (const p of ports) fake.plug(p.path, { bytesPerSecond: 5_000_000 });
    const station = createStation({ id: "s", driver: fake.driver, ports, boardType: "fake32", plan });
    let open = 0;
    let most = 0;
    station.onEvent((e) => {
      if (e.type === "step-end" && e.step === "detect") most = Math.max(most, ++open);
      if (e.type === "device-done") open -= 1;
    });
    const batch = await station.runBatch();
    expect(batch.passed).toBe(8);
    expect(most).toBe(2);
  });

  it("refuses a port listed twice", () => {
    const fake = createFakeBoard();
    expect(() =>
      createStation({ id: "s", driver: fake.driver, ports: [ports[0]!, ports[0]!], boardType: "x", plan }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
  });

  it("continuous mode provisions each plugged board once, again only after a replug", async () => {
    const fake = createFakeBoard();
    const controller = new AbortController();
    const station = createStation({
      id: "s",
      driver: fake.driver,
      ports: ports.slice(0, 3),
      boardType: "fake32",
      plan,
      pollIntervalMs: 5,
    });
    const done: string[] = [];
    const waiters: { n: number; resolve: () => void }[] = [];
    station.onEvent((e) => {
      if (e.type !== "device-done") return;
      done.push(e.port.path);
      for (const w of waiters.filter((w) => done.length >= w.n)) w.resolve();
    });
    /** Resolves once `n` devices in all have finished. */
    const waitFor = (n: number) => new Promise<void>((resolve) => waiters.push({ n, resolve }));
    const running = station.runContinuous({ signal: controller.signal });
    fake.plug("/dev/ttyUSB0");
    await waitFor(1);
    fake.plug("/dev/ttyUSB2");
    await waitFor(2);
    // Several more polls happen; the boards are still there, so nothing runs again.
    await new Promise((r) => setTimeout(r, 50));
    expect(done).toEqual(["/dev/ttyUSB0", "/dev/ttyUSB2"]);
    fake.unplug("/dev/ttyUSB0");
    await new Promise((r) => setTimeout(r, 30));
    const replugged = fake.plug("/dev/ttyUSB0");
    await waitFor(3);
    expect(done).toEqual(["/dev/ttyUSB0", "/dev/ttyUSB2", "/dev/ttyUSB0"]);
    expect(replugged.writes).toEqual(["bootloader", "app"]);
    controller.abort();
    const batch = await running;
    expect(batch.results).toHaveLength(3);
    expect(batch.aborted).toBe(true);
  });
});
