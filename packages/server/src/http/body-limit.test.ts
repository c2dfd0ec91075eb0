import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";

/** Sends a body in chunked transfer encoding (no Content-Length), as a streaming client does. */
function postChunked(
  url: string,
  route: string,
  chunks: string[],
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKENS.unit}`, "content-type": "application/json" },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe("request body limit", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ bodyLimitBytes: 4096 });
  });
  afterAll(async () => {
    await s.stop();
  });
  const heartbeat = (pad = "") =>
    JSON.stringify({
      mac_wan: "02:bb:00:00:00:01",
      status: "building",
      stage: `boot${pad}`.slice(0, 128),
      timestamp: new Date().toISOString(),
      ...(pad && { pad }),
    });

  it("takes a chunked body under the limit", async () => {
    const text = heartbeat();
    const res = await postChunked(s.url, "/api/heartbeat", [text.slice(0, 20), text.slice(20)]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ ok: true, mac_wan: "02:bb:00:00:00:01" });
  });

  it("refuses a chunked body over the limit with 413 and writes nothing", async () => {
    const text = heartbeat("x".repeat(5000)).replace("02:bb:00:00:00:01", "02:bb:00:00:00:02");
    const res = await postChunked(s.url, "/api/heartbeat", [text.slice(0, 3000), text.slice(3000)]);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await s.call("GET", "/api/units/02:bb:00:00:00:02", { token: "operator" })).status).toBe(404);
  });

  it("refuses a body whose Content-Length is over the limit before reading it", async () => {
    const res = await s.call("POST", "/api/heartbeat", {
      token: "unit",
      raw: heartbeat("y".repeat(5000)).replace("02:bb:00:00:00:01", "02:bb:00:00:00:03"),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(413);
    expect(res.json.error.code).toBe("PAYLOAD_TOO_LARGE");
    expect((await s.call("GET", "/api/units/02:bb:00:00:00:03", { token: "operator" })).status).toBe(404);
  });
});
