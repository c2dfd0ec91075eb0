import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeviceRecord } from "../contracts/records";
import { generateDeviceSecret, generatePassword, generateProvisioningToken } from "../credentials";
import { isFactoryError } from "../errors";
import { CSV_RECORD_COLUMNS } from "./columns";
import { formatCsvRow } from "./csv";
import { createCsvRecordSink, csvRecordFileName } from "./csv-record-sink";
import { readCsvRecords } from "./read-csv-records";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "factory-records-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const day = new Date(2025, 8, 29, 10, 30, 0);

function record(i: number, extra: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    timestamp: new Date(day.getTime() + i * 1000),
    deviceId: `esp32-${i.toString(16).padStart(12, "0")}`,
    mac: "aa:bb:cc:dd:ee:ff",
    uniqueId: "aabbccddeeff",
    boardType: "esp32",
    chip: "ESP32-D0WD-V3",
    firmwareVersion: "1.4.2",
    stationId: "station_1",
    port: `/dev/ttyUSB${i % 8}`,
    batchId: "B-001",
    status: i % 5 === 0 ? "failed" : "passed",
    flashTimeSeconds: 12.5 + i,
    attempts: 1 + (i % 3),
    tests: [
      { name: "boot_test", passed: true, durationMs: 120 },
      {
        name: "wifi_test",
        passed: i % 5 !== 0,
        durationMs: 800,
        ...(i % 5 === 0 ? { errorCode: "TEST_FAILED" } : {}),
      },
    ],
    qrCode: `factory:esp32-${i}`,
    ...(i % 5 === 0
      ? { errorCode: "TEST_FAILED", error: "wifi_test: expected OK, got FAIL", failedStep: "test" }
      : {}),
    ...extra,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return isFactoryError(e) ? e.code : String(e);
  }
  return undefined;
}

describe("createCsvRecordSink", () => {
  it("writes the header once, then one complete row per record with the seed's columns", async () => {
    const sink = createCsvRecordSink({ dir, clock: () => day });
    await sink.write(record(1));
    await sink.write(record(5));
    await sink.close();
    const file = path.join(dir, "factory_records_20250929.csv");
    expect(sink.currentFile).toBe(file);
    const text = await readFile(file, "utf8");
    expect(text.startsWith(`${CSV_RECORD_COLUMNS.join(",")}\r\n`)).toBe(true);
    expect(text.split(CSV_RECORD_COLUMNS[0]).length).toBe(2);
    const rows = await readCsvRecords(file);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      timestamp: record(1).timestamp.toISOString(),
      device_id: "esp32-000000000001",
      mac_address: "aa:bb:cc:dd:ee:ff",
      board_type: "esp32",
      firmware_version: "1.4.2",
      flash_time_seconds: "13.5",
      station_id: "station_1",
      port: "/dev/ttyUSB1",
      batch_id: "B-001",
      status: "passed",
      attempts: "2",
      tests_passed: "2",
      tests_total: "2",
      qr_code: "factory:esp32-1",
      error_code: "",
    });
    expect(JSON.parse(rows[0]!.test_results)).toEqual([
      { name: "boot_test", passed: true, durationMs: 120 },
      { name: "wifi_test", passed: true, durationMs: 800 },
    ]);
    expect(rows[1]).toMatchObject({
      status: "failed",
      tests_passed: "1",
      error_code: "TEST_FAILED",
      error_message: "wifi_test: expected OK, got FAIL",
      failed_step: "test",
    });
  });

  it("appends to an existing day file without a second header", async () => {
    const a = createCsvRecordSink({ dir, clock: () => day });
    await a.write(record(1));
    await a.close();
    const b = createCsvRecordSink({ dir, clock: () => day });
    await b.write(record(2));
    await b.close();
    const rows = await readCsvRecords(path.join(dir, csvRecordFileName(day)));
    expect(rows.map((r) => r.device_id)).toEqual(["esp32-000000000001", "esp32-000000000002"]);
  });

  it("keeps rows from many concurrent writers complete and separate", async () => {
    const sink = createCsvRecordSink({ dir, clock: () => day });
    const big = "x".repeat(20_000);
    const n = 300;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        sink.write(
          record(i, { error: `${big}\n"${i}",${big}`, errorCode: "FLASH_FAILED", status: "failed" }),
        ),
      ),
    );
    await sink.close();
    const rows = await readCsvRecords(path.join(dir, csvRecordFileName(day)));
    expect(rows).toHaveLength(n);
    const seen = new Set(rows.map((r) => r.device_id));
    expect(seen.size).toBe(n);
    for (const row of rows) {
      const i = Number.parseInt(row.device_id.slice(6), 16);
      expect(row.error_message).toBe(`${big}\n"${i}",${big}`);
      expect(row.port).toBe(`/dev/ttyUSB${i % 8}`);
    }
  });

  it("starts a new file at local midnight", async () => {
    let now = new Date(2025, 8, 29, 23, 59, 59, 500);
    const sink = createCsvRecordSink({ dir, clock: () => now });
    await sink.write(record(1));
    now = new Date(2025, 8, 30, 0, 0, 0, 100);
    await sink.write(record(2));
    await sink.write(record(3));
    await sink.close();
    expect((await readdir(dir)).sort()).toEqual([
      "factory_records_20250929.csv",
      "factory_records_20250930.csv",
    ]);
    expect((await readCsvRecords(path.join(dir, "factory_records_20250929.csv"))).length).toBe(1);
    expect((await readCsvRecords(path.join(dir, "factory_records_20250930.csv"))).length).toBe(2);
  });

  it("cuts off a row torn by a crash, even one cut inside a quoted line break", async () => {
    const file = path.join(dir, csvRecordFileName(day));
    const first = createCsvRecordSink({ dir, clock: () => day });
    await first.write(record(1));
    await first.close();
    const before = await readFile(file);
    const torn = formatCsvRow([
      "2025-09-29T08:30:02.000Z",
      "esp32-torn",
      "aa",
      "",
      "esp32",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      "",
      '"multi\r\nline',
    ]).slice(0, -20);
    await appendFile(file, torn);
    await expect(readCsvRecords(file)).rejects.toMatchObject({ code: "RECORD_FAILED" });

    const second = createCsvRecordSink({ dir, clock: () => day });
    await second.write(record(3));
    await second.close();
    const after = await readFile(file);
    expect(after.subarray(0, before.length).equals(before)).toBe(true);
    const rows = await readCsvRecords(file);
    expect(rows.map((r) => r.device_id)).toEqual(["esp32-000000000001", "esp32-000000000003"]);
  });

  it("repairs a last row torn at any byte", async () => {
    const file = path.join(dir, csvRecordFileName(day));
    const first = createCsvRecordSink({ dir, clock: () => day });
    await first.write(record(1));
    await first.close();
    const intact = await readFile(file);
    const last = Buffer.from(
      formatCsvRow([
        "2025-09-29T08:30:02.000Z",
        "esp32-x",
        "",
        "",
        "esp32",
        "",
        "",
        "",
        "",
        "",
        "",
        "failed",
        "1",
        "0",
        "0",
        "[]",
        "",
        "E",
        'line one\r\nline "two", end',
        "",
      ]),
    );
    for (let cut = 1; cut < last.length; cut += 3) {
      await writeFile(file, Buffer.concat([intact, last.subarray(0, cut)]));
      const sink = createCsvRecordSink({ dir, clock: () => day });
      await sink.write(record(2));
      await sink.close();
      const rows = await readCsvRecords(file);
      expect(rows.map((r) => r.device_id)).toEqual(["esp32-000000000001", "esp32-000000000002"]);
    }
  });

  it("rewrites a header torn by a crash", async () => {
    const file = path.join(dir, csvRecordFileName(day));
    await writeFile(file, CSV_RECORD_COLUMNS.join(",").slice(0, 30));
    const sink = createCsvRecordSink({ dir, clock: () => day });
    await sink.write(record(1));
    await sink.close();
    expect(await readCsvRecords(file)).toHaveLength(1);
  });

  it("leaves a file with other columns alone and writes to the next part", async () => {
    const file = path.join(dir, csvRecordFileName(day));
    await writeFile(file, "device_id,mac\r\nold,aa\r\n");
    const sink = createCsvRecordSink({ dir, clock: () => day });
    await sink.write(record(1));
    await sink.close();
    expect(await readFile(file, "utf8")).toBe("device_id,mac\r\nold,aa\r\n");
    expect(sink.currentFile).toBe(path.join(dir, "factory_records_20250929_2.csv"));
    expect(await readCsvRecords(sink.currentFile!)).toHaveLength(1);
  });

  it("never writes device secrets, provisioning tokens or passwords", async () => {
    const secret = generateDeviceSecret();
    const token = generateProvisioningToken();
    const password = generatePassword();
    const leaky = {
      ...record(7),
      deviceSecret: secret,
      provisioningToken: token,
      passwords: { admin: password },
      qrCode: `factory:esp32-7:${token}`,
      error: `registration failed for {"deviceSecret":"${secret}"} password=${password}`,
      tests: [{ name: "wifi", passed: true, durationMs: 5, output: `psk=${password} token=${token}` }],
    } as DeviceRecord;
    const sink = createCsvRecordSink({ dir, clock: () => day });
    await sink.write(leaky);
    await sink.close();
    const text = await readFile(path.join(dir, csvRecordFileName(day)), "utf8");
    expect(text).not.toContain(secret);
    expect(text).not.toContain(token);
    expect(text).not.toContain(password);
    const [row] = await readCsvRecords(path.join(dir, csvRecordFileName(day)));
    expect(row!.qr_code).toBe("factory:esp32-7:pt_[redacted]");
    expect(row!.device_id).toBe("esp32-000000000007");
  });

  it("rejects a malformed record with INVALID_ARGUMENT and writes nothing", async () => {
    const sink = createCsvRecordSink({ dir, clock: () => day });
    const bad: unknown[] = [
      { ...record(1), status: "ok" },
      { ...record(1), attempts: -1 },
      { ...record(1), timestamp: new Date("nope") },
      { ...record(1), deviceId: undefined },
      { ...record(1), tests: "all good" },
      { ...record(1), flashTimeSeconds: Number.NaN },
    ];
    for (const r of bad) expect(await codeOf(sink.write(r as DeviceRecord))).toBe("INVALID_ARGUMENT");
    await sink.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it("does not write when the signal has fired, and refuses writes after close", async () => {
    const sink = createCsvRecordSink({ dir, clock: () => day });
    expect(await codeOf(sink.write(record(1), { signal: AbortSignal.abort() }))).toBe("ABORTED");
    await sink.close();
    expect(await codeOf(sink.write(record(2)))).toBe("RECORD_FAILED");
    expect(await readdir(dir)).toEqual([]);
  });

  it("drops a row whose signal fires while it waits for its turn, and keeps writing the others", async () => {
    const sink = createCsvRecordSink({ dir, clock: () => day });
    const first = sink.write(record(1));
    const controller = new AbortController();
    const second = sink.write(record(2), { signal: controller.signal });
    const third = sink.write(record(3));
    controller.abort();
    expect(await codeOf(second)).toBe("ABORTED");
    await first;
    await third;
    await sink.close();
    const rows = await readCsvRecords(path.join(dir, csvRecordFileName(day)));
    expect(rows.map((r) => r.device_id)).toEqual(["esp32-000000000001", "esp32-000000000003"]);
  });

  it("fails with RECORD_FAILED when the folder cannot be used, and recovers once it can", async () => {
    const blocker = path.join(dir, "not-a-folder");
    await writeFile(blocker, "");
    const sink = createCsvRecordSink({ dir: blocker, clock: () => day });
    expect(await codeOf(sink.write(record(1)))).toBe("RECORD_FAILED");
    await rm(blocker);
    await sink.write(record(2));
    await sink.close();
    expect(
      (await readCsvRecords(path.join(blocker, csvRecordFileName(day)))).map((r) => r.device_id),
    ).toEqual(["esp32-000000000002"]);
  });
});
