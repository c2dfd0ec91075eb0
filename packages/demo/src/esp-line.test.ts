import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type CsvRecordRow, readCsvRecords } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { type EspLine, startEspLine } from "./esp-line";

/** Every row of the daily record files in `dir`. */
async function csvRows(dir: string): Promise<CsvRecordRow[]> {
  const files = readdirSync(dir).filter((f) => /^factory_records_\d{8}(_\d+)?\.csv$/.test(f));
  const rows: CsvRecordRow[] = [];
  for (const f of files.sort()) rows.push(...(await readCsvRecords(path.join(dir, f))));
  return rows;
}

/** A stand-in for the server's registration, board-line and records endpoints that keeps what arrives. */
async function backend() {
  const registrations: { device_id: string; mac?: string; station_id?: string }[] = [];
  const boardLine: unknown[] = [];
  const records: { device_id: string; status: string; batch_id: string; error_code: string }[] = [];
  const reports: {
    id: string;
    body: {
      report: { batchIds: string[]; totals: { devices: number; passed: number; failed: number } };
      batches: { batch_id: string; total: number }[];
    };
  }[] = [];
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (d) => (text += String(d)));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/api/admin/device-registrations")
        registrations.push(JSON.parse(text));
      if (req.method === "PUT" && req.url?.startsWith("/api/board-line/stations/"))
        boardLine.push(JSON.parse(text));
      if (req.method === "POST" && req.url === "/api/board-line/records") records.push(JSON.parse(text));
      if (req.method === "PUT" && req.url?.startsWith("/api/board-line/reports/"))
        reports.push({ id: decodeURIComponent(req.url.split("/").pop()!), body: JSON.parse(text) });
      res.writeHead(req.method === "POST" ? 201 : 200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    registrations,
    boardLine,
    records,
    reports,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function until<T>(probe: () => T | undefined, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("the ESP flashing station on simulated boards", () => {
  const open: Array<{ close(): Promise<void> }> = [];
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(tmpdir(), "factory-esp-line-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("flashes, tests, registers and records each board, reports each round, then swaps the boards", async () => {
    const b = await backend();
    open.push(b);
    const line: EspLine = await startEspLine({
      server: b.url,
      stationToken: "station-token-0123456789",
      dir: tempDir(),
      ports: 2,
      faultRate: 0,
      swapAfterMs: 200,
    });
    open.push(line);
    // Two boards per port: the first ones were swapped and their successors flashed too.
    const results = await until(() => (line.results().length >= 4 ? line.results() : undefined), 90_000);
    expect(results.map((r) => r.status)).toEqual(
      ["passed", "passed", "passed", "passed"].slice(0, results.length),
    );
    expect(results[0]!.tests).toEqual([expect.objectContaining({ name: "boot_test", passed: true })]);
    const ids = new Set(results.map((r) => r.deviceId));
    expect(ids.size).toBe(results.length);
    await until(() => (b.registrations.length >= 4 ? true : undefined));
    expect(b.registrations.map((r) => r.device_id).sort()).toEqual(
      [...ids].slice(0, b.registrations.length).sort(),
    );
    expect(b.boardLine.length).toBeGreaterThan(0);

    // Every finished board's record reached the server, in the round (batch) it was flashed in.
    await until(() => (b.records.length >= 4 ? true : undefined));
    const rounds = line.batches();
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(new Set(rounds.map((r) => r.batchId)).size).toBe(rounds.length);
    for (const round of rounds.slice(0, 2)) {
      const inRound = b.records.filter((r) => r.batch_id === round.batchId);
      expect(inRound.map((r) => r.device_id).sort()).toEqual(round.results.map((r) => r.deviceId).sort());
      expect(inRound.map((r) => r.status)).toEqual(["passed", "passed"]);
      // One batch report per round, under the round's batch id, with the round's counts.
      const sent = b.reports.filter((r) => r.id === round.batchId);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.body.report.batchIds).toEqual([round.batchId]);
      expect(sent[0]!.body.report.totals).toMatchObject({ devices: 2, passed: 2, failed: 0 });
      expect(sent[0]!.body.batches).toEqual([expect.objectContaining({ batch_id: round.batchId, total: 2 })]);
    }

    // On disk, as `factory flash` writes them: a row per board in the daily CSV (core's writer),
    // and a batch report file per round.
    const rows = await csvRows(line.recordsDir);
    for (const r of results) {
      expect(rows.filter((row) => row.device_id === r.deviceId)).toEqual([
        expect.objectContaining({
          status: "passed",
          station_id: "esp-station-1",
          board_type: "esp32",
          tests_passed: "1",
        }),
      ]);
    }
    const files = line.reportFiles();
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const [i, round] of rounds.slice(0, 2).entries()) {
      expect(path.dirname(files[i]!)).toBe(line.recordsDir);
      expect(path.basename(files[i]!)).toMatch(/^batch_report_\d{8}_\d{6}(_\d+)?\.json$/);
      const report = JSON.parse(readFileSync(files[i]!, "utf8"));
      expect(report.batchIds).toEqual([round.batchId]);
      expect(report.totals).toMatchObject({ devices: 2, passed: 2, failed: 0 });
    }
  }, 120_000);

  it("boards with a fault fail with a coded error and are not registered", async () => {
    const b = await backend();
    open.push(b);
    let n = 0;
    // faultRate 1; the second draw picks the fault: a worn flash cell (< 0.5) or a silent firmware.
    const draws = [0, 0.2, 0, 0.9];
    const line = await startEspLine({
      server: b.url,
      stationToken: "station-token-0123456789",
      dir: tempDir(),
      ports: 2,
      faultRate: 1,
      swapAfterMs: 60_000,
      random: () => draws[n++ % draws.length]!,
    });
    open.push(line);
    const results = await until(() => (line.results().length >= 2 ? line.results() : undefined), 90_000);
    const codes = results.map((r) => `${r.status} ${r.error?.code}`).sort();
    expect(codes).toEqual(["failed TEST_FAILED", "failed VERIFY_FAILED"]);
    expect(b.registrations).toEqual([]);
    // Failed boards are recorded too, with their error code, and the round's report counts them.
    await until(() => (b.records.length >= 2 && b.reports.length >= 1 ? true : undefined));
    expect(b.records.map((r) => `${r.status} ${r.error_code}`).sort()).toEqual(codes);
    expect(b.reports[0]!.body.report.totals).toMatchObject({ devices: 2, passed: 0, failed: 2 });
    // The CSV keeps the failed boards with their code, as it does for `factory flash`.
    const rows = await csvRows(line.recordsDir);
    expect(rows.map((r) => `${r.status} ${r.error_code}`).sort()).toEqual(codes);
  }, 120_000);
});
