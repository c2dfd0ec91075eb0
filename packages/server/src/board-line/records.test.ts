import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness";

const record = (over: Record<string, string> = {}) => ({
  record_id: "0123456789abcdef0123456789abcdef",
  timestamp: "2026-12-05T10:00:00.000Z",
  device_id: "ESP32-00000001",
  mac_address: "24:0a:c4:00:00:01",
  unique_id: "240ac4000001",
  board_type: "esp32",
  chip: "ESP32-D0WD-V3",
  firmware_version: "1.2.0",
  flash_time_seconds: "9.8",
  station_id: "station_1",
  port: "sim:esp32-0",
  batch_id: "station_1-20261205-100000",
  status: "passed",
  attempts: "1",
  tests_passed: "1",
  tests_total: "1",
  test_results: '[{"name":"boot_test","passed":true}]',
  qr_code: "factory://pair?d=ESP32-00000001&t=****",
  error_code: "",
  error_message: "",
  failed_step: "",
  ...over,
});

const report = {
  schema: "factory.batch-report/1",
  generatedAt: "2026-12-05T10:01:00.000Z",
  batchIds: ["station_1-20261205-100000", "station_2-20261205-100000"],
  startedAt: "2026-12-05T10:00:00.000Z",
  finishedAt: "2026-12-05T10:01:00.000Z",
  durationSeconds: 60,
  aborted: false,
  totals: { devices: 3, passed: 2, failed: 1, aborted: 0 },
};
const batches = [
  {
    batch_id: "station_1-20261205-100000",
    station_id: "station_1",
    started_at: "2026-12-05T10:00:00.000Z",
    finished_at: "2026-12-05T10:01:00.000Z",
    total: 2,
    passed: 2,
    failed: 0,
  },
  {
    batch_id: "station_2-20261205-100000",
    station_id: "station_2",
    started_at: "2026-12-05T10:00:00.000Z",
    finished_at: "2026-12-05T10:01:00.000Z",
    total: 1,
    passed: 0,
    failed: 1,
  },
];
const reportId = "station_1-20261205-100000+station_2-20261205-100000";

describe("board line records (POST /api/board-line/records, PUT /api/board-line/reports/:id)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("stores each device record once, however often it is sent, and lists it back with filters", async () => {
    const first = await server.call("POST", "/api/board-line/records", { token: "station", body: record() });
    expect(first.status).toBe(201);
    const again = await server.call("POST", "/api/board-line/records", { token: "station", body: record() });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ record_id: record().record_id, created: false });
    const failed = record({
      record_id: "fedcba9876543210fedcba9876543210",
      device_id: "",
      mac_address: "",
      port: "sim:esp32-3",
      status: "failed",
      error_code: "SYNC_FAILED",
      error_message: "no answer",
      failed_step: "detect",
    });
    expect(
      (await server.call("POST", "/api/board-line/records", { token: "station", body: failed })).status,
    ).toBe(201);
    expect(
      (await server.call("POST", "/api/board-line/records", { token: "station", body: failed })).status,
    ).toBe(200);

    const all = await server.call("GET", "/api/board-line/records", { token: "operator" });
    expect(all.status).toBe(200);
    expect(all.json.records).toHaveLength(2);
    expect(all.json.records).toEqual(expect.arrayContaining([record(), failed]));
    const onlyFailed = await server.call("GET", "/api/board-line/records?status=failed", {
      token: "operator",
    });
    expect(onlyFailed.json.records).toEqual([failed]);
    const other = await server.call("GET", "/api/board-line/records?batch_id=nope", { token: "operator" });
    expect(other.json.records).toEqual([]);
  });

  it("refuses records without a station token or with a malformed body, storing nothing", async () => {
    const before = (await server.call("GET", "/api/board-line/records", { token: "admin" })).json;
    const body = record({ record_id: "11111111111111111111111111111111" });
    expect((await server.call("POST", "/api/board-line/records", { body })).status).toBe(401);
    expect((await server.call("POST", "/api/board-line/records", { token: "operator", body })).status).toBe(
      403,
    );
    const bad = await server.call("POST", "/api/board-line/records", {
      token: "station",
      body: { ...body, status: "maybe" },
    });
    expect(bad.status).toBe(400);
    expect((await server.call("GET", "/api/board-line/records", { token: "admin" })).json).toEqual(before);
  });

  it("keeps batch reports by their batch ids and files the station batches with the provisioning batches", async () => {
    const path = `/api/board-line/reports/${encodeURIComponent(reportId)}`;
    const put = await server.call("PUT", path, { token: "station", body: { report, batches } });
    expect(put.status).toBe(201);
    const again = await server.call("PUT", path, { token: "station", body: { report, batches } });
    expect(again.status).toBe(200);
    expect(again.json.created).toBe(false);

    const list = await server.call("GET", "/api/board-line/reports", { token: "operator" });
    expect(list.json.reports).toEqual([
      {
        report_id: reportId,
        generated_at: report.generatedAt,
        batch_ids: report.batchIds,
        aborted: false,
        totals: report.totals,
      },
    ]);
    const one = await server.call("GET", path, { token: "operator" });
    expect(one.json.report).toEqual(report);
    expect((await server.call("GET", "/api/board-line/reports/none", { token: "operator" })).status).toBe(
      404,
    );

    const provisioning = await server.call("GET", "/api/admin/provisioning/batches", { token: "operator" });
    const ids = (provisioning.json.batches as { batch_id: string }[]).map((b) => b.batch_id);
    expect(ids).toEqual(expect.arrayContaining(report.batchIds));

    const mismatched = await server.call("PUT", "/api/board-line/reports/other-batch", {
      token: "station",
      body: { report, batches },
    });
    expect(mismatched.status).toBe(400);
  });
});
