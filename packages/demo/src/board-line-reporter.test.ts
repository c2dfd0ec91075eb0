import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { PipelineEvent } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { startBoardLineReporter } from "./board-line-reporter";

const port = { path: "sim:esp32-0" };
const at = new Date();

async function receiver() {
  const bodies: { url: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += String(d)));
    req.on("end", () => {
      bodies.push({ url: req.url ?? "", headers: req.headers, body: JSON.parse(text) });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function until(ok: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe("board line reporter", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("folds a device's pipeline events into its port's state and PUTs the station view with the station token", async () => {
    const r = await receiver();
    cleanups.push(r.close);
    const reporter = startBoardLineReporter({
      url: r.url,
      token: "station-token-0123456789",
      stationId: "esp-station-1",
      ports: ["sim:esp32-0", "sim:esp32-1"],
      intervalMs: 20,
    });
    const events: PipelineEvent[] = [
      { type: "port-state", port, state: "present", at },
      { type: "port-state", port, state: "busy", at },
      {
        type: "identified",
        port,
        at,
        identity: {
          family: "esp32",
          chip: "ESP32-D0WD-V3",
          mac: "24:0a:c4:7e:00:01",
          uniqueId: "240ac47e0001",
        },
      },
      { type: "step-start", port, at, step: "write", attempt: 1 },
      {
        type: "progress",
        port,
        at,
        step: "write",
        progress: { region: "app", phase: "write", bytesDone: 4096, bytesTotal: 131072 },
        bytesPerSecond: 40960.4,
      },
    ];
    for (const e of events) reporter.apply(e);
    expect(reporter.view()[0]).toEqual({
      port: "sim:esp32-0",
      state: "busy",
      chip: "ESP32-D0WD-V3",
      mac: "24:0a:c4:7e:00:01",
      step: "write",
      bytes_done: 4096,
      bytes_total: 131072,
      bytes_per_second: 40960,
    });
    expect(reporter.view()[1]).toEqual({ port: "sim:esp32-1", state: "empty" });
    reporter.apply({
      type: "device-done",
      port,
      at,
      result: {
        port,
        status: "failed",
        boardType: "esp32",
        tests: [],
        gates: [],
        attempts: 2,
        error: { code: "VERIFY_FAILED", message: "MD5 mismatch in app", step: "verify" },
        startedAt: at,
        finishedAt: at,
      },
    });
    // How it ended and on which board; the step it was in and its byte counts are gone.
    expect(reporter.view()[0]).toEqual({
      port: "sim:esp32-0",
      state: "failed",
      chip: "ESP32-D0WD-V3",
      mac: "24:0a:c4:7e:00:01",
      error: "VERIFY_FAILED: MD5 mismatch in app",
    });
    // A new board on the port starts from a clean row.
    reporter.apply({ type: "port-state", port, state: "busy", at });
    expect(reporter.view()[0]).toEqual({ port: "sim:esp32-0", state: "busy" });

    await reporter.stop();
    const last = r.bodies.at(-1)!;
    expect(last.url).toBe("/api/board-line/stations/esp-station-1");
    expect(last.headers.authorization).toBe("Bearer station-token-0123456789");
    expect(last.body).toEqual({
      ports: [
        { port: "sim:esp32-0", state: "busy" },
        { port: "sim:esp32-1", state: "empty" },
      ],
    });
  });

  it("sends nothing while the view is unchanged", async () => {
    const r = await receiver();
    cleanups.push(r.close);
    const reporter = startBoardLineReporter({
      url: r.url,
      token: "t".repeat(20),
      stationId: "s",
      ports: ["a"],
      intervalMs: 10,
    });
    await until(() => r.bodies.length === 1);
    // Ten intervals and more without a change: no second request (a slow machine only sends less).
    await new Promise((res) => setTimeout(res, 150));
    expect(r.bodies.length).toBe(1);
    reporter.apply({ type: "port-state", port: { path: "a" }, state: "busy", at });
    await until(() => r.bodies.length === 2);
    expect(r.bodies[1]!.body).toEqual({ ports: [{ port: "a", state: "busy" }] });
    await reporter.stop();
  });
});
