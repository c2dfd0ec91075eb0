import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeviceRecord } from "../contracts/records";
import type { BatchResult } from "../contracts/station";
import { buildBatchReport } from "./batch-report";
import { createServerRecords, recordToWire } from "./server-records";

const record = (over: Partial<DeviceRecord> = {}): DeviceRecord => ({
  timestamp: new Date("2026-12-05T10:00:00Z"),
  deviceId: "ESP32-00000001",
  mac: "24:0a:c4:00:00:01",
  boardType: "esp32",
  port: "sim:esp32-0",
  stationId: "station_1",
  batchId: "b1",
  status: "passed",
  attempts: 1,
  tests: [{ name: "boot_test", passed: true, durationMs: 12 }],
  qrCode: "factory://pair?d=ESP32-00000001&t=****",
  ...over,
});

interface Received {
  method: string;
  url: string;
  auth: string | undefined;
  body: unknown;
}

/** A stand-in for the server's board-line routes: answers `status` and remembers every request. */
async function startFakeServer(
  status: () => number,
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      got.push({
        method: req.method ?? "",
        url: req.url ?? "",
        auth: req.headers.authorization,
        body: JSON.parse(text),
      });
      res.writeHead(status(), { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, server };
}

describe("createServerRecords", () => {
  let dir: string;
  const servers: Server[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "server-records-"));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the CSV row's cells with a stable record id and the station token", async () => {
    const fake = await startFakeServer(() => 201);
    servers.push(fake.server);
    const records = createServerRecords({
      url: fake.url,
      token: "tok",
      queueFile: path.join(dir, "q.jsonl"),
    });
    await records.write(record());
    expect(fake.got).toHaveLength(1);
    const sent = fake.got[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe("/api/board-line/records");
    expect(sent.auth).toBe("Bearer tok");
    expect(sent.body).toMatchObject({
      device_id: "ESP32-00000001",
      mac_address: "24:0a:c4:00:00:01",
      status: "passed",
      tests_passed: "1",
      qr_code: "factory://pair?d=ESP32-00000001&t=****",
    });
    // The same record always gets the same id (the server absorbs a resend); another record not.
    expect(recordToWire(record()).record_id).toBe((sent.body as { record_id: string }).record_id);
    expect(recordToWire(record({ port: "sim:esp32-1" })).record_id).not.toBe(
      recordToWire(record()).record_id,
    );
    expect(records.pending()).toBe(0);
    expect(existsSync(path.join(dir, "q.jsonl"))).toBe(false);
  });

  it("queues records and reports while the server is down and delivers them once it is back, oldest first", async () => {
    let status = 503;
    const fake = await startFakeServer(() => status);
    servers.push(fake.server);
    const queueFile = path.join(dir, "out", "q.jsonl");
    const records = createServerRecords({ url: fake.url, token: "tok", queueFile, timeoutMs: 2000 });
    await records.write(record());
    await records.write(record({ port: "sim:esp32-1", status: "failed", errorCode: "SYNC_FAILED" }));
    const batch: BatchResult = {
      batchId: "b1",
      stationId: "station_1",
      startedAt: new Date("2026-12-05T10:00:00Z"),
      finishedAt: new Date("2026-12-05T10:01:00Z"),
      results: [],
      passed: 0,
      failed: 0,
      aborted: false,
    };
    const report = buildBatchReport([batch], { now: new Date("2026-12-05T10:01:00Z") });
    expect(await records.sendBatchReport(report, [batch])).toEqual({ queued: true });
    expect(records.pending()).toBe(3);
    expect(statSync(queueFile).mode & 0o777).toBe(0o600);
    // Nothing secret is queued: only the CSV cells and the report.
    expect(readFileSync(queueFile, "utf8")).not.toMatch(/secret|provisioning_token/i);

    // A second instance (the next run) delivers what the first queued.
    status = 201;
    fake.got.length = 0;
    const next = createServerRecords({ url: fake.url, token: "tok", queueFile });
    expect(await next.flush()).toEqual({ delivered: 3, pending: 0 });
    expect(fake.got.map((g) => `${g.method} ${g.url}`)).toEqual([
      "POST /api/board-line/records",
      "POST /api/board-line/records",
      "PUT /api/board-line/reports/b1",
    ]);
    expect(fake.got[2]!.body).toMatchObject({
      report: { batchIds: ["b1"] },
      batches: [{ batch_id: "b1", station_id: "station_1", total: 0 }],
    });
    expect(next.pending()).toBe(0);
  });

  it("queues when nothing listens, and drops (never queues) what the server refuses as invalid", async () => {
    const down = createServerRecords({
      url: "http://127.0.0.1:9",
      queueFile: path.join(dir, "down.jsonl"),
      timeoutMs: 2000,
    });
    await down.write(record());
    expect(down.pending()).toBe(1);

    const fake = await startFakeServer(() => 400);
    servers.push(fake.server);
    const refused = createServerRecords({ url: fake.url, queueFile: path.join(dir, "refused.jsonl") });
    await expect(refused.write(record())).resolves.toBeUndefined();
    expect(refused.pending()).toBe(0);
    expect(fake.got).toHaveLength(1);
  });
});
