import { mkdtempSync, rmSync } from "node:fs";
import http, { type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { noopLogger } from "@factory/core";
import { getRequestListener } from "@hono/node-server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { createEventBus, type EventBus, type ServerEvent } from "../events";
import { createSqliteUnitStore, type SqliteUnitStore } from "../stores/sqlite-store";
import { type AppOptions, createApp } from "./app";
import { createTokenTable } from "./auth";

const UNIT = "fast-unit-token-0123456789abcdef";
const OPERATOR = "fast-operator-token-0123456789ab";
const tokens = createTokenTable([
  { name: "unit-1", role: "unit", token: UNIT },
  { name: "operator-1", role: "operator", token: OPERATOR },
]);

interface Sent {
  method?: string;
  token?: string;
  contentType?: string;
  body?: string;
  /** Sent in chunked transfer encoding, these pieces. */
  chunks?: string[];
}

function send(
  url: string,
  s: Sent,
): Promise<{ status: number; json: unknown; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (s.token) headers.authorization = `Bearer ${s.token}`;
    if (s.contentType !== undefined) headers["content-type"] = s.contentType;
    if (s.body !== undefined) headers["content-length"] = String(Buffer.byteLength(s.body));
    const req = http.request(`${url}/api/heartbeat`, { method: s.method ?? "POST", headers, agent: false });
    req.on("response", (res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString();
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), headers: res.headers }),
      );
    });
    req.on("error", reject);
    for (const c of s.chunks ?? []) req.write(c);
    req.end(s.body);
  });
}

const beat = (mac: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    mac_wan: mac,
    status: "building",
    stage: "self_test",
    timestamp: new Date().toISOString(),
    ...extra,
  });

describe("POST /api/heartbeat fast path", () => {
  let dir: string;
  let store: SqliteUnitStore;
  let events: EventBus;
  const servers: http.Server[] = [];
  const serve = async (listener: RequestListener) => {
    const server = http.createServer(listener);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const app = (o: Partial<AppOptions> = {}) =>
    createApp({
      store,
      tokens,
      events,
      logger: noopLogger,
      bodyLimitBytes: 1024,
      rateLimitPerSecond: 0,
      ...o,
    });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-fast-"));
    store = createSqliteUnitStore({ file: path.join(dir, "factory.db"), masterKey: generateMasterKey() });
    events = await createEventBus({ logger: noopLogger });
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });
  afterAll(async () => {
    await events.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers every case exactly as the Hono route does, and writes only accepted heartbeats", async () => {
    const a = app();
    const fast = await serve(a.listener);
    const hono = await serve(getRequestListener(a.app.fetch));
    await store.recordReport({
      mac: "02:fa:00:00:00:09",
      status: "ready",
      serial: "S-9",
      credentials: { adminPassword: "a", servicesPassword: "b" },
    });
    const json = "application/json";
    const cases: [string, (mac: string) => Sent, number][] = [
      [
        "accepted (MAC in dashes, numeric port)",
        (m) => ({
          token: UNIT,
          contentType: json,
          body: beat(m.replaceAll(":", "-").toUpperCase(), { port: 3 }),
        }),
        200,
      ],
      [
        "accepted in chunks",
        (m) => ({
          token: UNIT,
          contentType: "application/json; charset=utf-8",
          chunks: [beat(m).slice(0, 10), beat(m).slice(10)],
        }),
        200,
      ],
      [
        "accepted with a byte order mark",
        (m) => ({ token: UNIT, contentType: json, body: `\ufeff${beat(m)}` }),
        200,
      ],
      ["no token", (m) => ({ contentType: json, body: beat(m) }), 401],
      [
        "unknown token",
        (m) => ({ token: "not-a-token-at-all-xxxxxxxx", contentType: json, body: beat(m) }),
        401,
      ],
      ["wrong role", (m) => ({ token: OPERATOR, contentType: json, body: beat(m) }), 403],
      ["text body", (m) => ({ token: UNIT, contentType: "text/plain", body: beat(m) }), 415],
      ["no content type", (m) => ({ token: UNIT, body: beat(m) }), 415],
      ["malformed JSON", (m) => ({ token: UNIT, contentType: json, body: beat(m).slice(0, 20) }), 400],
      ["empty body", () => ({ token: UNIT, contentType: json, body: "" }), 400],
      ["not a MAC", () => ({ token: UNIT, contentType: json, body: beat("02:fa:00") }), 400],
      ["wrong status", (m) => ({ token: UNIT, contentType: json, body: beat(m, { status: "ready" }) }), 400],
      [
        "bad timestamp",
        (m) => ({ token: UNIT, contentType: json, body: beat(m, { timestamp: "yesterday" }) }),
        400,
      ],
      [
        "unit already ready",
        () => ({ token: UNIT, contentType: json, body: beat("02:fa:00:00:00:09") }),
        409,
      ],
      [
        "Content-Length over the limit",
        (m) => ({ token: UNIT, contentType: json, body: beat(m, { pad: "x".repeat(2000) }) }),
        413,
      ],
      [
        "chunked over the limit",
        (m) => ({
          token: UNIT,
          contentType: json,
          chunks: [
            beat(m, { pad: "y".repeat(2000) }).slice(0, 600),
            beat(m, { pad: "y".repeat(2000) }).slice(600),
          ],
        }),
        413,
      ],
    ];
    let n = 0x10;
    for (const [name, make, status] of cases) {
      const answers = [];
      for (const url of [fast, hono]) {
        const mac = `02:fa:00:00:00:${(n++).toString(16)}`;
        const res = await send(url, make(mac));
        expect(res.status, `${name} (${url === fast ? "fast path" : "Hono"})`).toBe(status);
        expect(res.headers["content-type"]).toMatch(/^application\/json/);
        answers.push(res.json);
        const stored = await store.getUnit(mac);
        if (status === 200) {
          expect(res.json).toEqual({ ok: true, mac_wan: mac, status: "building" });
          expect(stored).toMatchObject({ status: "building", stage: "self_test" });
        } else {
          expect(stored, name).toBeUndefined();
        }
      }
      if (status === 200) continue;
      expect(answers[0], name).toEqual(answers[1]);
    }
    expect((await store.getUnit("02:fa:00:00:00:09"))?.status).toBe("ready");
  });

  it("announces the unit, records where it talked from and counts the answer in the metrics", async () => {
    const a = app();
    const url = await serve(a.listener);
    const heard: ServerEvent[] = [];
    const off = events.subscribe((e) => heard.push(e));
    const contacts: [string, string][] = [];
    // The deps the plugins get carry the contact hook; reach them through a plugin.
    const b = app({
      stats: a.stats,
      plugins: [
        (_app, deps) => void deps.unitContacts.listen((mac, address) => contacts.push([mac, address])),
      ],
    });
    const url2 = await serve(b.listener);
    expect(
      (
        await send(url, {
          token: UNIT,
          contentType: "application/json",
          body: beat("02:fa:00:00:01:01", { port: "7" }),
        })
      ).status,
    ).toBe(200);
    expect(
      (await send(url2, { token: UNIT, contentType: "application/json", body: beat("02:fa:00:00:01:02") }))
        .status,
    ).toBe(200);
    expect(
      (await send(url2, { contentType: "application/json", body: beat("02:fa:00:00:01:03") })).status,
    ).toBe(401);
    off();
    expect(heard).toEqual([
      expect.objectContaining({
        type: "unit",
        mac: "02:fa:00:00:01:01",
        status: "building",
        stage: "self_test",
        port: "7",
      }),
      expect.objectContaining({ type: "unit", mac: "02:fa:00:00:01:02", status: "building" }),
    ]);
    expect(contacts).toEqual([["02:fa:00:00:01:02", "127.0.0.1"]]);
    const metrics = await a.stats.render(store, AbortSignal.timeout(5000));
    expect(metrics).toMatch(
      /factory_http_requests_total\{method="POST",route="\/api\/heartbeat",status="200"\} 2\n/,
    );
    expect(metrics).toMatch(
      /factory_http_requests_total\{method="POST",route="\/api\/heartbeat",status="401"\} 1\n/,
    );
    expect(metrics).toMatch(
      /factory_http_request_duration_seconds_count\{method="POST",route="\/api\/heartbeat"\} 3\n/,
    );
  });

  it("applies the per-client request limit and the failed-login brake, with Retry-After", async () => {
    const limited = await serve(app({ rateLimitPerSecond: 1 }).listener);
    const ok = { token: UNIT, contentType: "application/json", body: beat("02:fa:00:00:02:01") };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await send(limited, ok));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 429, 429]);
    expect(statuses[2]!.json).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect(Number(statuses[2]!.headers["retry-after"])).toBeGreaterThanOrEqual(1);

    const braked = await serve(app({ authFailuresPerMinute: 2 }).listener);
    const bad = { ...ok, token: "guess-0123456789abcdefgh" };
    expect((await send(braked, bad)).status).toBe(401);
    expect((await send(braked, bad)).status).toBe(401);
    const refused = await send(braked, ok);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("serves heartbeats without Hono, and every other request through it", async () => {
    const a = app();
    const fetch = vi.spyOn(a.app, "fetch");
    const url = await serve(a.listener);
    for (let i = 1; i <= 3; i++) {
      const res = await send(url, {
        token: UNIT,
        contentType: "application/json",
        body: beat(`02:fa:00:00:04:0${i}`),
      });
      expect(res.status).toBe(200);
    }
    expect(fetch).not.toHaveBeenCalled();
    expect((await send(url, { method: "PUT", token: UNIT })).status).toBe(404);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it("leaves the route to Hono when a plugin added a handler on it, so the plugin runs", async () => {
    const seen: string[] = [];
    const a = app({
      plugins: [
        (h) =>
          h.use("/api/heartbeat", async (c, next) => {
            seen.push(c.req.method);
            await next();
            c.res.headers.set("x-plugin", "1");
          }),
      ],
    });
    const url = await serve(a.listener);
    const res = await send(url, {
      token: UNIT,
      contentType: "application/json",
      body: beat("02:fa:00:00:03:01"),
    });
    expect(res.status).toBe(200);
    expect(res.headers["x-plugin"]).toBe("1");
    expect(seen).toEqual(["POST"]);
  });
});
