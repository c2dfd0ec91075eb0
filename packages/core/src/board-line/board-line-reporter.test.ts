import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Logger } from "../logger";
import { startBoardLineReporter } from "./board-line-reporter";
import { PortBoard } from "./port-board";

const at = new Date();
const TOKEN = "station-token-0123456789";

async function receiver(status = 200) {
  const bodies: { url: string; headers: IncomingHttpHeaders; body: unknown }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += String(d)));
    req.on("end", () => {
      bodies.push({ url: req.url ?? "", headers: req.headers, body: JSON.parse(text) });
      res.writeHead(receiverState.status, { "content-type": "application/json" }).end("{}");
    });
  });
  const receiverState = { status };
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    state: receiverState,
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

function recordingLogger() {
  const lines: { level: string; msg: string; fields?: unknown }[] = [];
  const at = (level: string) => (msg: string, fields?: unknown) => lines.push({ level, msg, fields });
  const logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  } as unknown as Logger;
  return { logger, lines };
}

describe("board line reporter", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it("PUTs each station's ports with the station token, and its final view on stop", async () => {
    const r = await receiver();
    cleanups.push(r.close);
    const board = new PortBoard();
    board.add("esp-station-1", { path: "sim:esp32-0" });
    board.add("esp-station-1", { path: "sim:esp32-1" });
    board.add("stm 2", { path: "/dev/ttyACM0" });
    const reporter = startBoardLineReporter({ url: r.url, token: TOKEN, board, intervalMs: 20 });
    await until(() => r.bodies.length === 2);
    expect(r.bodies.map((b) => b.url).sort()).toEqual([
      "/api/board-line/stations/esp-station-1",
      "/api/board-line/stations/stm%202",
    ]);
    expect(r.bodies[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    board.apply("esp-station-1", { type: "port-state", port: { path: "sim:esp32-1" }, state: "busy", at });
    await reporter.stop();
    const last = r.bodies.filter((b) => b.url.endsWith("esp-station-1")).at(-1)!;
    expect(last.body).toEqual({
      ports: [
        { port: "sim:esp32-0", state: "empty" },
        { port: "sim:esp32-1", state: "busy" },
      ],
    });
  });

  it("sends a station only when its ports changed, until the keep-alive is due", async () => {
    const r = await receiver();
    cleanups.push(r.close);
    const board = new PortBoard();
    board.add("a", { path: "p" });
    board.add("b", { path: "q" });
    const reporter = startBoardLineReporter({
      url: r.url,
      token: TOKEN,
      board,
      intervalMs: 10,
      keepAliveMs: 0,
    });
    await until(() => r.bodies.length === 2);
    // Ten intervals and more without a change: no further request (a slow machine only sends less).
    await new Promise((res) => setTimeout(res, 150));
    expect(r.bodies.length).toBe(2);
    board.apply("b", { type: "port-state", port: { path: "q" }, state: "present", at });
    await until(() => r.bodies.length === 3);
    expect(r.bodies[2]).toMatchObject({
      url: "/api/board-line/stations/b",
      body: { ports: [{ port: "q", state: "present" }] },
    });
    await reporter.stop();

    const keepAlive = startBoardLineReporter({
      url: r.url,
      token: TOKEN,
      board,
      intervalMs: 10,
      keepAliveMs: 30,
    });
    const before = r.bodies.length;
    await until(() => r.bodies.length >= before + 4);
    await keepAlive.stop();
  });

  it("sends again after the server refused, warns once and never logs the token", async () => {
    const r = await receiver(503);
    cleanups.push(r.close);
    const { logger, lines } = recordingLogger();
    const board = new PortBoard();
    board.add("s", { path: "p" });
    const reporter = startBoardLineReporter({
      url: r.url,
      token: TOKEN,
      board,
      intervalMs: 10,
      keepAliveMs: 0,
      logger,
    });
    await until(() => r.bodies.length >= 3);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ station: "s", error: expect.stringContaining("503") });
    r.state.status = 200;
    await reporter.flush();
    await new Promise((res) => setTimeout(res, 50));
    // Once taken, an unchanged view is not sent again (under 503 it was sent every tick).
    const settled = r.bodies.length;
    await new Promise((res) => setTimeout(res, 150));
    expect(r.bodies.length).toBe(settled);
    await reporter.stop();
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it("a server that is not there does not make stop hang or throw", async () => {
    const board = new PortBoard();
    board.add("s", { path: "p" });
    const reporter = startBoardLineReporter({
      url: "http://127.0.0.1:9",
      token: TOKEN,
      board,
      timeoutMs: 500,
    });
    await expect(reporter.stop()).resolves.toBeUndefined();
  });
});
