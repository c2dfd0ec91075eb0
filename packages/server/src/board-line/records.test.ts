import { noopLogger } from "@factory/core";
import { createMemoryUnitStore } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEventBus } from "../events";
import { createApp } from "../http/app";
import { createTokenTable } from "../http/auth";
import { startTestServer, type TestServer } from "../testing/harness";
import { boardLineRoutes } from "./routes";

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

  it("answers concurrent duplicate posts with one 201 and audits the sender once", async () => {
    const body = record({ record_id: "22222222222222222222222222222222", mac_address: "24-0A-C4-00-00-22" });
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        server.call("POST", "/api/board-line/records", { token: "station", body }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);
    const one = await server.call("GET", `/api/board-line/records/${body.record_id}`, { token: "operator" });
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ record: body, sent_by: "station-1" });
    const byMac = await server.call("GET", "/api/board-line/records?mac=240ac4000022", { token: "operator" });
    expect(byMac.json.records).toEqual([body]);
    const audit = await server.call("GET", "/api/audit?mac=24:0a:c4:00:00:22", { token: "admin" });
    expect(audit.json.events).toEqual([
      expect.objectContaining({ action: "board-line.record", actor: "station-1", mac: "24:0a:c4:00:00:22" }),
    ]);
    expect(
      (
        await server.call("GET", "/api/board-line/records/ffffffffffffffffffffffffffffffff", {
          token: "operator",
        })
      ).status,
    ).toBe(404);
  });

  it("pages records with next_cursor and filters by station, batch and since", async () => {
    const sent: ReturnType<typeof record>[] = [];
    for (let i = 0; i < 9; i++) {
      const body = record({
        record_id: (0x3000 + i).toString(16).padStart(32, "0"),
        timestamp: new Date(Date.UTC(2026, 11, 6, 9, 0, i)).toISOString(),
        station_id: i % 2 ? "station_7" : "station_8",
        batch_id: `paging-${i % 3}`,
        mac_address: "",
      });
      sent.push(body);
      expect((await server.call("POST", "/api/board-line/records", { token: "station", body })).status).toBe(
        201,
      );
    }
    const seen: string[] = [];
    let url = "/api/board-line/records?since=2026-12-06T09:00:00Z&limit=4";
    for (let pages = 0; pages < 10; pages++) {
      const page = await server.call("GET", url, { token: "operator" });
      expect(page.status).toBe(200);
      expect(page.json.records.length).toBeLessThanOrEqual(4);
      seen.push(...page.json.records.map((r: { record_id: string }) => r.record_id));
      if (!page.json.next_cursor) break;
      url = `/api/board-line/records?since=2026-12-06T09:00:00Z&limit=4&cursor=${encodeURIComponent(page.json.next_cursor)}`;
    }
    expect(seen).toEqual(sent.map((r) => r.record_id).reverse());
    const filtered = await server.call("GET", "/api/board-line/records?station=station_7&batch=paging-1", {
      token: "operator",
    });
    expect(filtered.json.records).toEqual([sent[7], sent[1]]);
    const aliases = await server.call(
      "GET",
      "/api/board-line/records?station_id=station_7&batch_id=paging-1",
      {
        token: "operator",
      },
    );
    expect(aliases.json.records).toEqual(filtered.json.records);
    const late = await server.call("GET", "/api/board-line/records?since=2026-12-06T09:00:07%2B00:00", {
      token: "operator",
    });
    expect(late.json.records).toEqual([sent[8], sent[7]]);
  });

  it("answers 400 to a bad status, mac, since, limit or cursor", async () => {
    for (const query of ["status=maybe", "mac=nope", "since=yesterday", "limit=0", "cursor=garbage"]) {
      const res = await server.call("GET", `/api/board-line/records?${query}`, { token: "operator" });
      expect(res.status, query).toBe(400);
      expect(res.json.error.code, query).toBe("INVALID_ARGUMENT");
    }
  });

  it("replaces a batch report whose document changed, keeping one report under the id", async () => {
    const ids = ["station_1-20261206-090000"];
    const changed = { ...report, batchIds: ids, aborted: true };
    const path = `/api/board-line/reports/${ids[0]}`;
    expect(
      (
        await server.call("PUT", path, {
          token: "station",
          body: { report: { ...changed, aborted: false }, batches: [] },
        })
      ).status,
    ).toBe(201);
    const put = await server.call("PUT", path, { token: "admin", body: { report: changed, batches: [] } });
    expect(put.status).toBe(200);
    expect(put.json).toEqual({ report_id: ids[0], created: false, replaced: true });
    expect((await server.call("GET", path, { token: "operator" })).json.report).toEqual(changed);
    const list = await server.call("GET", "/api/board-line/reports?limit=200", { token: "operator" });
    const mine = (list.json.reports as { report_id: string; aborted: boolean }[]).filter(
      (r) => r.report_id === ids[0],
    );
    expect(mine).toEqual([expect.objectContaining({ aborted: true })]);
  });
});

describe("board line records on a store without board tables", () => {
  it("answers 501 NOT_SUPPORTED instead of losing the record", async () => {
    const events = await createEventBus({ logger: noopLogger });
    const { app } = createApp({
      store: createMemoryUnitStore(),
      tokens: createTokenTable([
        { name: "station-1", role: "station", token: "station-token-0123456789abcdef" },
      ]),
      events,
      plugins: [boardLineRoutes],
    });
    try {
      const res = await app.request("/api/board-line/records", {
        method: "POST",
        headers: {
          authorization: "Bearer station-token-0123456789abcdef",
          "content-type": "application/json",
        },
        body: JSON.stringify(record()),
      });
      expect(res.status).toBe(501);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_SUPPORTED");
    } finally {
      await events.close();
    }
  });
});
