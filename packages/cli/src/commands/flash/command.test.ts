import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runCli } from "../../run-cli";
import { createTestIO } from "../../test-io";
import { type LineImages, lineYaml, simPorts, writeLine } from "./test-support";

const line = (img: LineImages, extra = "") =>
  lineYaml(img, {
    stations: [
      { id: "station_1", ports: simPorts(0, 3) },
      { id: "station_2", ports: simPorts(3, 1) },
    ],
    bootTest: true,
    tail: extra,
  });

describe("factory flash (command)", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("flashes every station, prints plain lines off a TTY and a summary, exits 0", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img, "logging: { level: INFO, console_output: false }"));
    const t = createTestIO(dir);
    const code = await runCli(["flash"], t.io);
    expect(t.stderr()).toBe("");
    expect(code).toBe(0);
    const out = t.stdout();
    for (const port of ["sim:esp32-0", "sim:esp32-1", "sim:esp32-2", "sim:esp32-3"]) {
      expect(out).toMatch(new RegExp(`^\\S+ station_\\d ${port} identified ESP32-D0WD-V3 24:0a:c4:`, "m"));
      expect(out).toMatch(new RegExp(`^station_\\d\\s+${port}\\s+passed\\s+ESP32-D0WD-V3`, "m"));
    }
    expect(out).not.toContain("\x1b[");
    expect(out).toContain("4 devices: 4 passed, 0 failed, 0 aborted");
    expect(readdirSync(dir).some((f) => f.startsWith("batch_report_"))).toBe(true);
    const log = readFileSync(path.join(dir, "factory-provisioning.log"), "utf8");
    expect(log).toContain("INFO  factory flash finished");
    expect(log).not.toContain("DEBUG");
  });

  it("--test-mode identifies without writing or recording; --station picks one station", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img));
    const t = createTestIO(dir);
    const code = await runCli(["flash", "--test-mode", "--station", "station_2"], t.io);
    expect(code).toBe(0);
    const out = t.stdout();
    expect(out).toContain("sim:esp32-3 identified");
    expect(out).not.toContain("sim:esp32-0");
    expect(out).not.toMatch(/ write$/m);
    expect(out).toContain("1 device: 1 identified, 0 failed");
    const files = readdirSync(dir);
    expect(files.filter((f) => f.startsWith("factory_records_") || f.startsWith("batch_report_"))).toEqual(
      [],
    );
  });

  it("--batch-size caps the devices per station", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img));
    const t = createTestIO(dir);
    expect(await runCli(["flash", "--batch-size", "2", "--station", "station_1"], t.io)).toBe(0);
    expect(t.stdout()).toContain("2 devices: 2 passed");
    expect(t.stdout()).toContain("not flashed (batch size reached): station_1 sim:esp32-2\n");
    expect(t.stdout()).not.toContain("no device answered");
  });

  it("exits 1 when a device fails, naming its port and error", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img).replace("expected_response: OK", 'expected_response: "READY"'));
    const t = createTestIO(dir);
    expect(await runCli(["flash", "--station", "station_2"], t.io)).toBe(1);
    expect(t.stdout()).toMatch(/^station_2\s+sim:esp32-3\s+failed .*at test/m);
  });

  it("refuses bad options before touching any port", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img));
    for (const [args, message] of [
      [["--batch-size", "0"], "--batch-size must be a whole number"],
      [["--station", "station_9"], "unknown station station_9"],
      [["--continuous", "--batch-size", "3"], "do not go together"],
      [["--server", "factory:8080"], "--server must be an http:// or https:// URL"],
    ] as const) {
      const t = createTestIO(dir);
      const code = await runCli(["flash", ...args], t.io);
      expect(code).toBe(2);
      expect(t.stderr()).toContain(message);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith("factory_records_"))).toEqual([]);
  });

  it("continuous mode flashes what is plugged in until stopped", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img));
    const stop = new AbortController();
    const t = createTestIO(dir, stop.signal);
    const run = runCli(["flash", "--continuous", "--station", "station_1"], t.io);
    await expect.poll(() => (t.stdout().match(/ PASSED /g) ?? []).length, { timeout: 30_000 }).toBe(3);
    stop.abort();
    const code = await run;
    expect(t.stdout()).toContain("3 devices: 3 passed, 0 failed, 0 aborted (stopped before the end)");
    expect(code).toBe(0);
  });

  it("refuses to start when the registration token's variable is not set, before any port is touched", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(
      dir,
      (img) =>
        `provisioning_service_url: "http://127.0.0.1:9"\nregistration: { token_env: LINE_TOKEN }\n${line(img)}`,
    );
    const t = createTestIO(dir);
    expect(await runCli(["flash"], t.io)).toBe(1);
    expect(t.stderr()).toContain(
      "error CONFIG_INVALID: registration.token_env names LINE_TOKEN, but it is not set",
    );
    expect(t.stdout()).not.toContain("identified");
    expect(readdirSync(dir).filter((f) => f.startsWith("factory_records_") || f === "qr")).toEqual([]);
  });

  it("--server without a station token refuses to start; with one, a down server queues the records", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-flash-cmd-"));
    await writeLine(dir, (img) => line(img, "logging: { level: INFO, console_output: false }"));
    const t = createTestIO(dir);
    expect(await runCli(["flash", "--server", "http://127.0.0.1:9"], t.io)).toBe(1);
    expect(t.stderr()).toContain("--server needs a station token of the server: set FACTORY_SERVER_TOKEN");
    expect(t.stdout()).not.toContain("identified");

    // Nothing listens on port 9 of loopback: every record and the report wait in the queue.
    const queued = createTestIO(dir);
    queued.io.env.FACTORY_SERVER_TOKEN = "station-token";
    expect(
      await runCli(["flash", "--station", "station_1", "--server", "http://127.0.0.1:9"], queued.io),
    ).toBe(0);
    expect(queued.stdout()).toContain("4 record(s)/report(s) queued: the server is unreachable");
    const lines = readFileSync(path.join(dir, "server-records-queue.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as { path: string }).path)).toEqual([
      "/api/board-line/records",
      "/api/board-line/records",
      "/api/board-line/records",
      expect.stringMatching(/^\/api\/board-line\/reports\/station_1-/),
    ]);
    expect(readFileSync(path.join(dir, "server-records-queue.jsonl"), "utf8")).not.toContain("station-token");
  });
});
