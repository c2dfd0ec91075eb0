import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness";

const MAC = "aa:bb:cc:dd:ee:01";
const PASSWORDS = {
  admin_password: "confett1-j0gging-App3NDix",
  services_password: "4ntENNAe-B4sil-mat3rnIty",
};
const ready = (mac = MAC) => ({
  mac_wan: mac,
  serial: "a1b2c3d4-5678-90ab-cdef-1234567890ab",
  ...PASSWORDS,
  status: "ready",
  build_time: "2025-09-29T12:45:23Z",
  build_duration_seconds: 847,
  test_results: { opnsense_routing: "pass", adguard: "pass" },
});
const heartbeat = (mac = MAC, stage = "deploying_services", port?: string) => ({
  mac_wan: mac,
  status: "building",
  stage,
  timestamp: new Date().toISOString(),
  ...(port && { port }),
});

describe("seed 002 API on a real server", () => {
  let s: TestServer;
  beforeEach(async () => {
    s = await startTestServer();
  });
  afterEach(async () => {
    await s.stop();
  });

  it("runs the labeling flow: heartbeat, report, station read (audited), delete, no credentials left", async () => {
    expect(
      (
        await s.call("POST", "/api/heartbeat", {
          token: "unit",
          body: heartbeat("AA-BB-CC-DD-EE-01", "self_test", "3"),
        })
      ).status,
    ).toBe(200);
    const report = await s.call("POST", "/api/units", { token: "unit", body: ready("aabb.ccdd.ee01") });
    expect(report.status).toBe(201);
    expect(report.json.unit).toMatchObject({
      mac_wan: MAC,
      status: "ready",
      port: "3",
      has_credentials: true,
    });
    expect(report.text).not.toContain("confett1");

    const operatorView = await s.call("GET", `/api/units/${MAC}`, { token: "operator" });
    expect(operatorView.status).toBe(200);
    expect(operatorView.json.admin_password).toBeUndefined();
    expect(
      (await s.call("GET", `/api/units/${MAC}`, { token: "admin" })).json.admin_password,
    ).toBeUndefined();

    const stationView = await s.call("GET", "/api/units/AA:BB:CC:DD:EE:01", { token: "station" });
    expect(stationView.json).toMatchObject({ serial: ready().serial, ...PASSWORDS, status: "ready" });

    expect((await s.call("POST", `/api/units/${MAC}/label-prints`, { token: "station" })).json.reprints).toBe(
      0,
    );
    expect((await s.call("POST", `/api/units/${MAC}/label-prints`, { token: "station" })).json.reprints).toBe(
      1,
    );
    expect((await s.call("DELETE", `/api/units/${MAC}`, { token: "station" })).status).toBe(204);
    const after = await s.call("GET", `/api/units/${MAC}`, { token: "station" });
    expect(after.json).toMatchObject({ status: "labeled", has_credentials: false });
    expect(after.json.admin_password).toBeUndefined();
    expect((await s.call("DELETE", `/api/units/${MAC}`, { token: "station" })).status).toBe(404);

    const again = await s.call("POST", "/api/units", { token: "unit", body: ready() });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe("INVALID_TRANSITION");

    const audit = await s.call("GET", `/api/audit?mac=${MAC}`, { token: "admin" });
    expect(audit.json.events.map((e: { action: string }) => e.action)).toEqual([
      "credentials.deleted",
      "label.printed",
      "label.printed",
      "credentials.read",
    ]);
    expect(audit.json.events.every((e: { actor: string }) => e.actor === "station-1")).toBe(true);
    expect((await s.call("GET", "/api/metrics", { token: "operator" })).json.reprints).toBe(1);
    for (const line of s.logLines) {
      expect(line).not.toContain(PASSWORDS.admin_password);
      expect(line).not.toContain(PASSWORDS.services_password);
    }
  });

  it("makes one record from retried reports and refuses a reused idempotency key", async () => {
    const headers = { "idempotency-key": "unit-01-report-1" };
    const first = await s.call("POST", "/api/units", { token: "unit", body: ready(), headers });
    const retry = await s.call("POST", "/api/units", { token: "unit", body: ready(), headers });
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(retry.json.created).toBe(false);
    const other = await s.call("POST", "/api/units", {
      token: "unit",
      body: ready("aa:bb:cc:dd:ee:02"),
      headers,
    });
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe("CONFLICT");
    const list = await s.call("GET", "/api/units", { token: "operator" });
    expect(list.json.units.map((u: { mac_wan: string }) => u.mac_wan)).toEqual([MAC]);
  });

  it("records failures with reasons and lists units by status", async () => {
    await s.call("POST", "/api/heartbeat", { token: "unit", body: heartbeat("aa:bb:cc:dd:ee:03") });
    const failed = await s.call("POST", "/api/units", {
      token: "unit",
      body: {
        mac_wan: MAC,
        status: "failed",
        build_time: "2025-09-29T12:45:23Z",
        error_log: "...",
        failed_tests: ["adguard"],
        diagnostic_data: "x",
      },
    });
    expect(failed.status).toBe(201);
    const byStatus = await s.call("GET", "/api/units?status=failed", { token: "operator" });
    expect(byStatus.json.units).toHaveLength(1);
    expect(byStatus.json.units[0]).toMatchObject({ failed_tests: ["adguard"], status: "failed" });
    const dash = await s.call("GET", "/api/dashboard", { token: "operator" });
    expect(dash.json.failed[0].reason).toBe("adguard failed");
    expect(dash.json.building.map((u: { mac: string }) => u.mac)).toEqual(["aa:bb:cc:dd:ee:03"]);
    const logs = await s.call("POST", "/api/debug-logs", {
      token: "station",
      body: { mac_wan: MAC, logs: { "systemctl --failed": "1 loaded units listed" } },
    });
    expect(logs.status).toBe(201);
    const read = await s.call("GET", `/api/units/${MAC}/debug-logs`, { token: "operator" });
    expect(read.json.logs[0].logs["systemctl --failed"]).toBe("1 loaded units listed");
    expect((await s.call("DELETE", `/api/units/${MAC}`, { token: "admin" })).status).toBe(204);
    expect((await s.call("GET", `/api/units/${MAC}`, { token: "admin" })).status).toBe(404);
  });

  it("answers bad input with a 4xx JSON error and writes nothing", async () => {
    const cases: [string, Parameters<TestServer["call"]>, number, string][] = [
      ["no token", ["POST", "/api/heartbeat", { body: heartbeat() }], 401, "UNAUTHORIZED"],
      [
        "wrong token",
        ["POST", "/api/heartbeat", { token: "not-a-real-token-xxxxxxxx", body: heartbeat() }],
        401,
        "UNAUTHORIZED",
      ],
      ["wrong role", ["POST", "/api/heartbeat", { token: "operator", body: heartbeat() }], 403, "FORBIDDEN"],
      ["unit reads units", ["GET", `/api/units/${MAC}`, { token: "unit" }], 403, "FORBIDDEN"],
      [
        "malformed JSON",
        [
          "POST",
          "/api/units",
          { token: "unit", raw: '{"mac_wan": "aa', headers: { "content-type": "application/json" } },
        ],
        400,
        "MALFORMED_JSON",
      ],
      [
        "wrong type",
        ["POST", "/api/units", { token: "unit", body: { ...ready(), build_duration_seconds: "847" } }],
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "missing password",
        ["POST", "/api/units", { token: "unit", body: { ...ready(), admin_password: undefined } }],
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "bad MAC",
        ["POST", "/api/units", { token: "unit", body: ready("aa:bb:cc:dd:ee") }],
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "bad status",
        ["POST", "/api/units", { token: "unit", body: { ...ready(), status: "labeled" } }],
        400,
        "INVALID_ARGUMENT",
      ],
      [
        "text body",
        [
          "POST",
          "/api/heartbeat",
          { token: "unit", raw: "hello", headers: { "content-type": "text/plain" } },
        ],
        415,
        "UNSUPPORTED_MEDIA_TYPE",
      ],
      [
        "oversized",
        ["POST", "/api/units", { token: "unit", body: { ...ready(), pad: "x".repeat(9 * 1024 * 1024) } }],
        413,
        "PAYLOAD_TOO_LARGE",
      ],
      ["unknown MAC", ["GET", "/api/units/aa:bb:cc:dd:ee:99", { token: "operator" }], 404, "NOT_FOUND"],
      ["path not a MAC", ["GET", "/api/units/not-a-mac", { token: "operator" }], 400, "INVALID_ARGUMENT"],
      [
        "debug logs for unknown unit",
        ["POST", "/api/debug-logs", { token: "station", body: { mac_wan: MAC, logs: { a: "b" } } }],
        404,
        "NOT_FOUND",
      ],
      ["bad limit", ["GET", "/api/units?limit=0", { token: "operator" }], 400, "INVALID_ARGUMENT"],
      ["unknown route", ["GET", "/api/nothing", {}], 404, "NOT_FOUND"],
    ];
    for (const [name, args, status, code] of cases) {
      const res = await s.call(...args);
      expect(res.status, name).toBe(status);
      expect(res.json?.error?.code, name).toBe(code);
      expect(typeof res.json.error.message, name).toBe("string");
    }
    expect((await s.call("GET", "/api/units", { token: "admin" })).json.units).toEqual([]);
    await s.call("POST", "/api/units", { token: "unit", body: ready() });
    const heartbeatAfterReady = await s.call("POST", "/api/heartbeat", { token: "unit", body: heartbeat() });
    expect(heartbeatAfterReady.status).toBe(409);
    expect((await s.call("GET", `/api/units/${MAC}`, { token: "operator" })).json.status).toBe("ready");
  });

  it("serves the seed 000 registration API", async () => {
    const device = {
      device_id: "esp32-0042",
      unique_id: "240ac4000042",
      mac: "24:0A:C4:00:00:42",
      board_type: "esp32",
      batch_id: "B1",
      device_secret: "dev-secret-42",
      provisioning_token: "tok-42",
    };
    expect(
      (await s.call("POST", "/api/admin/device-registrations", { token: "station", body: device })).status,
    ).toBe(201);
    expect(
      (await s.call("POST", "/api/admin/device-registrations", { token: "station", body: device })).status,
    ).toBe(200);
    const clash = await s.call("POST", "/api/admin/device-registrations", {
      token: "station",
      body: { ...device, board_type: "esp8266" },
    });
    expect(clash.json.error.code).toBe("CONFLICT");
    const bulk = await s.call("POST", "/api/admin/provisioning/bulk", {
      token: "admin",
      body: {
        batch: {
          batch_id: "B2",
          station_id: "station_1",
          started_at: "2025-09-29T10:00:00Z",
          total: 2,
          passed: 2,
          failed: 0,
        },
        devices: [
          { device_id: "esp32-0043", unique_id: "u43", board_type: "esp32", batch_id: "B2" },
          { device_id: "esp32-0044", unique_id: "u44", board_type: "esp32", batch_id: "B2" },
        ],
      },
    });
    expect(bulk.status).toBe(201);
    expect(bulk.json.created).toBe(2);
    const batches = await s.call("GET", "/api/admin/provisioning/batches", { token: "operator" });
    expect(batches.json.batches).toEqual([expect.objectContaining({ batch_id: "B2", total: 2, passed: 2 })]);
    const listed = await s.call("GET", "/api/admin/device-registrations?batch_id=B1", { token: "admin" });
    expect(listed.json.registrations.map((r: { device_id: string }) => r.device_id)).toEqual(["esp32-0042"]);
    expect(listed.text).not.toContain("dev-secret-42");
  });

  it("publishes OpenAPI and Prometheus metrics", async () => {
    await s.call("POST", "/api/units", { token: "unit", body: ready() });
    const doc = await s.call("GET", "/api/openapi.json");
    expect(doc.json.openapi).toBe("3.1.0");
    expect(Object.keys(doc.json.paths)).toEqual(
      expect.arrayContaining([
        "/api/heartbeat",
        "/api/units",
        "/api/units/{mac}",
        "/api/admin/provisioning/bulk",
      ]),
    );
    expect(
      doc.json.paths["/api/units"].post.requestBody.content["application/json"].schema.oneOf ??
        doc.json.paths["/api/units"].post.requestBody.content["application/json"].schema.anyOf,
    ).toHaveLength(2);
    const metrics = await s.call("GET", "/metrics");
    expect(metrics.text).toContain('factory_units{status="ready"} 1');
    expect(metrics.text).toMatch(
      /factory_http_requests_total\{method="POST",route="\/api\/units",status="201"\} 1/,
    );
  });
});

describe("limits and stuck detection", () => {
  let s: TestServer | undefined;
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });

  it("rate-limits a client that sends too much, and brakes token guessing", async () => {
    s = await startTestServer({ rateLimitPerSecond: 5, authFailuresPerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 15; i++) statuses.push((await s.call("GET", "/healthz")).status);
    expect(statuses.slice(0, 10).every((x) => x === 200)).toBe(true);
    expect(statuses).toContain(429);
  });

  it("refuses further logins after repeated bad tokens", async () => {
    s = await startTestServer({ authFailuresPerMinute: 3 });
    const statuses = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await s.call("GET", "/api/units", { token: `guess-${i}-xxxxxxxxxxxxxxxx` })).status);
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    expect((await s.call("GET", "/api/units", { token: "operator" })).status).toBe(429);
  });

  it("marks a unit stuck when heartbeats stop, visibly and in the audit log", async () => {
    s = await startTestServer({ stuckAfterMs: 300, stuckCheckIntervalMs: 60_000 });
    await s.call("POST", "/api/heartbeat", { token: "unit", body: heartbeat(MAC, "self_test", "7") });
    await s.call("POST", "/api/heartbeat", { token: "unit", body: heartbeat("aa:bb:cc:dd:ee:02") });
    await s.call("POST", "/api/units", { token: "unit", body: ready("aa:bb:cc:dd:ee:02") });
    expect(await s.checkStuck()).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    expect(await s.checkStuck()).toEqual([MAC]);
    expect((await s.call("GET", `/api/units/${MAC}`, { token: "operator" })).json.status).toBe("stuck");
    expect((await s.call("GET", "/api/dashboard", { token: "operator" })).json.stuck[0]).toMatchObject({
      mac: MAC,
      port: "7",
    });
    expect(
      (await s.call("GET", "/api/audit?action=unit.stuck", { token: "admin" })).json.events,
    ).toHaveLength(1);
    expect((await s.call("GET", "/metrics")).text).toContain('factory_units{status="stuck"} 1');
    expect(s.logLines.some((l) => l.includes("units stuck") && l.includes('"warn"'))).toBe(true);
    expect((await s.call("POST", "/api/heartbeat", { token: "unit", body: heartbeat() })).json.status).toBe(
      "building",
    );
  });
});
