import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";

describe("board line live ports (PUT /api/board-line/stations/:station, GET, SSE)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("keeps each station's latest port states and streams every change", async () => {
    const events = await fetch(`${server.url}/api/board-line/events`, {
      headers: { authorization: `Bearer ${TOKENS.operator}` },
    });
    const reader = events.body!.getReader();
    const next = async (): Promise<unknown> => {
      let buffer = "";
      while (!buffer.includes("\n\n")) buffer += new TextDecoder().decode((await reader.read()).value);
      return JSON.parse(/data: (.*)/.exec(buffer)![1]!);
    };
    expect(await next()).toEqual([]);

    const ports = [
      {
        port: "A1 (/dev/ttyUSB0)",
        state: "busy",
        chip: "ESP32-D0WD-V3",
        step: "write",
        bytes_done: 10,
        bytes_total: 20,
      },
      { port: "A2 (/dev/ttyUSB1)", state: "failed", error: "SYNC_FAILED: no answer" },
    ];
    const put = await server.call("PUT", "/api/board-line/stations/station_1", {
      token: "station",
      body: { ports },
    });
    expect(put.status).toBe(200);
    expect(await next()).toMatchObject([{ station_id: "station_1", ports }]);

    const got = await server.call("GET", "/api/board-line", { token: "operator" });
    expect(got.json.stations).toMatchObject([{ station_id: "station_1", ports }]);
    await reader.cancel();
  });

  it("refuses callers without a station token and bad bodies, changing nothing", async () => {
    const before = (await server.call("GET", "/api/board-line", { token: "admin" })).json;
    const body = { ports: [{ port: "B1", state: "busy" }] };
    expect((await server.call("PUT", "/api/board-line/stations/station_2", { body })).status).toBe(401);
    expect(
      (await server.call("PUT", "/api/board-line/stations/station_2", { token: "operator", body })).status,
    ).toBe(403);
    const bad = await server.call("PUT", "/api/board-line/stations/station_2", {
      token: "station",
      body: { ports: [{ port: "B1", state: "exploded" }] },
    });
    expect(bad.status).toBe(400);
    expect((await server.call("GET", "/api/board-line", { token: "admin" })).json).toEqual(before);
  });

  it("serves the live page without a token (data needs one)", async () => {
    const page = await fetch(`${server.url}/board-line`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("/api/board-line/events");
    expect(html).toContain('localStorage.getItem("factoryToken")');
    expect((await fetch(`${server.url}/api/board-line`)).status).toBe(401);
  });
});
