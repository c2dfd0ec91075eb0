import { describe, expect, it, vi } from "vitest";
import type { DeviceRecord, RecordSink, Registrar, RegistrationRequest } from "../contracts/records";
import { createError } from "../errors";
import { createLogger } from "../logger";
import { createFakeBoard } from "../testing/fake-board";
import { createIdentityGuard } from "./identity-guard";
import { type ProvisionOptions, provisionDevice } from "./provision";
import type { PipelineEvent } from "./types";

const PORT = "/dev/ttyUSB0";

function plan() {
  return {
    regions: [
      { name: "bootloader", offset: 0x1000, data: new Uint8Array(8_192).map((_, i) => (i * 3) & 0xff) },
      { name: "app", offset: 0x10000, data: new Uint8Array(64_000).map((_, i) => (i * 11 + 1) & 0xff) },
    ],
  };
}

function setup(overrides: Partial<ProvisionOptions> = {}) {
  const fake = createFakeBoard({ families: ["esp32"] });
  const device = fake.plug(PORT);
  const events: PipelineEvent[] = [];
  const records: DeviceRecord[] = [];
  const registrations: RegistrationRequest[] = [];
  const recorder: RecordSink = { write: async (r) => void records.push(r) };
  const registrar: Registrar = {
    register: async (req) => {
      registrations.push(req);
      return { deviceId: req.deviceId, created: true };
    },
  };
  const p = plan();
  const options: ProvisionOptions = {
    driver: fake.driver,
    port: { path: PORT },
    boardType: "esp32",
    plan: p,
    tests: [{ name: "boot_test", command: "info", expect: "OK", timeoutMs: 1_000 }],
    retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    recorder,
    registrar,
    stationId: "station_1",
    batchId: "b1",
    onEvent: (e) => events.push(e),
    ...overrides,
  };
  return { fake, device, events, records, registrations, options, plan: p };
}

function held(device: { memory: Uint8Array }, region: { offset: number; data: Uint8Array }) {
  return Buffer.from(device.memory.subarray(region.offset, region.offset + region.data.length));
}

describe("provisionDevice", () => {
  it("writes, verifies, tests, registers and records a good device", async () => {
    const t = setup();
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("passed");
    expect(result.attempts).toBe(1);
    for (const region of t.plan.regions)
      expect(held(t.device, region).equals(Buffer.from(region.data))).toBe(true);
    expect(result.tests).toEqual([
      expect.objectContaining({ name: "boot_test", passed: true, output: "OK" }),
    ]);
    expect(result.deviceId).toBe(`esp32-${t.device.identity.uniqueId}`);

    const steps = t.events.filter((e) => e.type === "step-end").map((e) => (e as { step: string }).step);
    expect(steps).toEqual([
      "detect",
      "identify",
      "plan",
      "write",
      "verify",
      "gates",
      "test",
      "register",
      "label",
      "record",
    ]);
    const progress = t.events.filter((e) => e.type === "progress" && e.step === "write");
    expect(progress.length).toBeGreaterThan(2);

    expect(t.registrations).toHaveLength(1);
    const reg = t.registrations[0]!;
    expect(reg).toMatchObject({
      deviceId: result.deviceId,
      mac: t.device.identity.mac,
      stationId: "station_1",
      batchId: "b1",
    });
    expect(reg.deviceSecret.length).toBeGreaterThanOrEqual(40);
    expect(reg.provisioningToken).toMatch(/^pt_/);

    expect(t.records).toHaveLength(1);
    expect(t.records[0]).toMatchObject({
      status: "passed",
      deviceId: result.deviceId,
      port: PORT,
      attempts: 1,
    });
    // No secret leaves the pipeline through records, results or events.
    const everything = JSON.stringify([t.records, result, t.events]);
    expect(everything).not.toContain(reg.deviceSecret);
    expect(everything).not.toContain(reg.provisioningToken);
    expect(result.qrPayload).toBe(`factory:${result.deviceId}:[redacted]`);
    expect(t.fake.openPorts()).toEqual([]);
  });

  it("hands the real QR payload to the label hook only", async () => {
    const label = vi.fn(async (_payload: string) => ({ file: "/tmp/qr.png" }));
    const t = setup({ label });
    const result = await provisionDevice(t.options);
    expect(label).toHaveBeenCalledOnce();
    const payload = label.mock.calls[0]![0];
    expect(payload).toContain(t.registrations[0]!.provisioningToken);
    expect(result.qrFile).toBe("/tmp/qr.png");
  });

  it("retries a failed sync and passes on the third attempt", async () => {
    const t = setup();
    t.fake.inject(PORT, { op: "open", code: "SYNC_FAILED", times: 2 });
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("passed");
    expect(result.attempts).toBe(3);
    expect(t.events.filter((e) => e.type === "retry-wait")).toHaveLength(2);
    expect(t.records[0]!.attempts).toBe(3);
  });

  it("gives up after max attempts with the last coded error and its step", async () => {
    const t = setup();
    t.fake.inject(PORT, { op: "open", code: "SYNC_FAILED" });
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("failed");
    expect(result.attempts).toBe(3);
    expect(result.error).toMatchObject({ code: "SYNC_FAILED", step: "detect" });
    expect(t.registrations).toHaveLength(0);
    expect(t.records[0]).toMatchObject({ status: "failed", errorCode: "SYNC_FAILED", failedStep: "detect" });
  });

  it("refuses firmware over its size gate before writing a byte, without retrying", async () => {
    const t = setup({ gates: { maxFirmwareSize: 1_000 } });
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "GATE_FAILED", step: "plan" });
    expect(result.attempts).toBe(1);
    expect(t.device.writes).toEqual([]);
  });

  it("retries a verification mismatch and reflashes only what is wrong", async () => {
    const t = setup();
    t.fake.inject(PORT, { op: "flash", corrupt: true, times: 1 });
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("passed");
    expect(result.attempts).toBe(2);
    const failed = t.events.find((e) => e.type === "step-failed");
    expect(failed).toMatchObject({ step: "verify", error: { code: "VERIFY_FAILED" }, willRetry: true });
    // First attempt wrote both regions (corrupting the last); the reflash skipped the intact bootloader.
    expect(t.device.writes).toEqual(["bootloader", "app", "app"]);
  });

  it("fails a device whose console test does not answer, recording every test", async () => {
    const t = setup({
      tests: [
        { name: "boot_test", command: "info", expect: "OK", timeoutMs: 500 },
        { name: "wifi_test", command: "wifi", expect: "WIFI OK", timeoutMs: 100 },
      ],
    });
    t.device.console = { info: "OK", wifi: "WIFI FAIL" };
    const result = await provisionDevice({ ...t.options, retry: { maxAttempts: 1 } });
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "TEST_FAILED", step: "test" });
    expect(result.tests.map((x) => [x.name, x.passed, x.errorCode])).toEqual([
      ["boot_test", true, undefined],
      ["wifi_test", false, "CONSOLE_TIMEOUT"],
    ]);
    expect(result.tests[1]!.output).toContain("WIFI FAIL");
    expect(t.registrations).toHaveLength(0);
  });

  it("bounds a hung device by the step timeout and releases the port", async () => {
    const t = setup({ timeouts: { identify: 50 }, retry: { maxAttempts: 2, initialDelayMs: 1 } });
    t.fake.inject(PORT, { op: "identify", hang: true });
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("failed");
    expect(result.error).toMatchObject({ code: "TIMEOUT", step: "identify" });
    expect(result.attempts).toBe(2);
    expect(t.fake.openPorts()).toEqual([]);
  });

  it("stops on cancel as aborted and records nothing", async () => {
    const controller = new AbortController();
    const t = setup({ signal: controller.signal });
    t.device.bytesPerSecond = 200_000;
    const logged: { level: string; message: string }[] = [];
    const done = provisionDevice({
      ...t.options,
      logger: createLogger({ level: "debug", sink: (r) => logged.push(r) }),
      onEvent: (e) => {
        if (e.type === "progress") controller.abort();
      },
    });
    const result = await done;
    expect(result.status).toBe("aborted");
    expect(result.error?.code).toBe("ABORTED");
    // The operator's stop is not reported as a board fault.
    expect(logged.filter((r) => r.level === "warn" || r.level === "error")).toEqual([]);
    expect(logged.some((r) => r.level === "info" && /stopped/.test(r.message))).toBe(true);
    expect(t.records).toHaveLength(0);
    expect(t.fake.openPorts()).toEqual([]);
  });

  it("identifies without writing in test mode", async () => {
    const t = setup({ mode: "identify" });
    const result = await provisionDevice(t.options);
    expect(result.status).toBe("passed");
    expect(result.identity?.mac).toBe(t.device.identity.mac);
    expect(t.device.writes).toEqual([]);
    expect(t.registrations).toHaveLength(0);
    expect(t.records).toHaveLength(0);
  });

  it("refuses a second port reporting the same identity", async () => {
    const guard = createIdentityGuard();
    const t = setup({ identityGuard: guard });
    const twin = t.fake.plug("/dev/ttyUSB1", { identity: { ...t.device.identity } });
    expect((await provisionDevice(t.options)).status).toBe("passed");
    const second = await provisionDevice({ ...t.options, port: { path: "/dev/ttyUSB1" } });
    expect(second.error).toMatchObject({ code: "DUPLICATE_IDENTITY", step: "identify" });
    expect(second.attempts).toBe(1);
    expect(twin.writes).toEqual([]);
  });

  it("retries a registration whose service is briefly down, registering once", async () => {
    let calls = 0;
    const t = setup();
    const registrar: Registrar = {
      register: async (req) => {
        calls += 1;
        if (calls === 1) throw createError("test", "REGISTRATION_FAILED", "503 from server");
        return { deviceId: req.deviceId, created: true };
      },
    };
    const result = await provisionDevice({ ...t.options, registrar });
    expect(result.status).toBe("passed");
    expect(calls).toBe(2);
    expect(result.registration).toEqual({ deviceId: result.deviceId, created: true });
  });

  it("fails the flash time gate when writing takes too long", async () => {
    const t = setup({ gates: { maxFlashTimeMs: 20 } });
    t.device.bytesPerSecond = 500_000;
    const result = await provisionDevice(t.options);
    expect(result.error).toMatchObject({ code: "GATE_FAILED", step: "gates" });
    expect(result.attempts).toBe(1);
    expect(result.gates.find((g) => g.gate === "max_flash_time")).toBeUndefined();
  });

  it("reports a board unplugged mid-write as PORT_DISCONNECTED and leaves no session open", async () => {
    const t = setup();
    t.device.bytesPerSecond = 1_000_000;
    let pulled = false;
    const result = await provisionDevice({
      ...t.options,
      onEvent: (e) => {
        if (e.type === "progress" && !pulled) {
          pulled = true;
          t.fake.unplug(PORT);
        }
      },
    });
    expect(result.status).toBe("failed");
    expect(["PORT_DISCONNECTED", "NO_DEVICE"]).toContain(result.error?.code);
    expect(t.fake.openPorts()).toEqual([]);
  });

  it("survives a throwing event listener", async () => {
    const t = setup({
      onEvent: () => {
        throw new Error("progress bar broke");
      },
    });
    expect((await provisionDevice(t.options)).status).toBe("passed");
  });
});
