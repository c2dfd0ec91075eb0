import { ErrorCodes, normalizeMac, tryNormalizeMac } from "@factory/core";
import type { Hono } from "hono";
import { z } from "zod";
import { type AuthEnv, requireRole } from "../http/auth";
import { readJson } from "../http/body";
import type { AppDeps } from "../http/deps";
import { requestSignal } from "../http/deps";
import { HttpError } from "../http/errors";
import { toBatchSummary } from "../http/schemas";
import {
  BATCH_REPORT_ACTION,
  type BatchReport,
  BOARD_RECORD_ACTION,
  type BoardRecordStore,
  boardRecordStoreOf,
} from "../stores/board-records";

/** Audit actions of new records and new or replaced reports (who sent what; the data is in its tables). */
export const RECORD_ACTION = BOARD_RECORD_ACTION;
export const REPORT_ACTION = BATCH_REPORT_ACTION;

const cell = (max: number) => z.string().max(max);

/**
 * One device record: the cells of its row in the daily CSV (`factory_records_YYYYMMDD.csv`), as
 * strings, plus `record_id` (a hash of those cells, so a resent record is recognised). The CSV
 * never holds secrets (the QR column holds the masked payload), so neither does this.
 */
export const recordBody = z.object({
  record_id: z.string().regex(/^[0-9a-f]{32}$/),
  timestamp: z.iso.datetime({ offset: true }),
  device_id: cell(200),
  mac_address: cell(32),
  unique_id: cell(200),
  board_type: cell(100).min(1),
  chip: cell(100),
  firmware_version: cell(100),
  flash_time_seconds: cell(32),
  station_id: cell(64),
  port: cell(200).min(1),
  batch_id: cell(200),
  status: z.enum(["passed", "failed"]),
  attempts: cell(10),
  tests_passed: cell(10),
  tests_total: cell(10),
  test_results: cell(20_000),
  qr_code: cell(2000),
  error_code: cell(100),
  error_message: cell(4000),
  failed_step: cell(64),
});
export type BoardLineRecord = z.output<typeof recordBody>;

const count = z.number().int().nonnegative().max(2_147_483_647);

const batchBody = z.object({
  batch_id: z.string().min(1).max(200),
  station_id: z.string().min(1).max(64).optional(),
  started_at: z.iso.datetime({ offset: true }),
  finished_at: z.iso.datetime({ offset: true }).optional(),
  total: z.number().int().nonnegative(),
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});

/** A batch report (the JSON file `factory flash` writes) and the station batches it covers. */
export const reportBody = z.object({
  report: z
    .object({
      schema: z.literal("factory.batch-report/1"),
      generatedAt: z.string().max(100),
      aborted: z.boolean().optional(),
      batchIds: z.array(z.string().max(200)).min(1).max(256),
      totals: z.object({ devices: count, passed: count, failed: count }).loose(),
    })
    .loose(),
  batches: z.array(batchBody).max(256),
});

const REPORT_ID = /^[\w.+-]{1,400}$/;
const RECORD_ID = /^[0-9a-f]{32}$/;

/**
 * The board line's records in the server: each device's record (`POST /api/board-line/records`)
 * and each batch report (`PUT /api/board-line/reports/:report_id`), sent by `factory flash`
 * (station or admin token), both idempotent by key however late a retry comes, readable by
 * operators (`GET /api/board-line/records?station=&batch=&status=&mac=&since=&limit=&cursor=`,
 * `GET /api/board-line/records/:record_id`, `GET /api/board-line/reports`,
 * `GET /api/board-line/reports/:report_id`). They live in the store's `board_records` and
 * `board_batch_reports` tables ({@link BoardRecordStore}); each new one also leaves an audit entry
 * (who sent it). The station batches of a report also go to the provisioning batches
 * (`GET /api/admin/provisioning/batches`). `onChange` is told after each new record or report.
 * A store without board-record tables answers these routes 501 `NOT_SUPPORTED`.
 */
export function boardLineRecordRoutes(app: Hono<AuthEnv>, d: AppDeps, onChange: () => void): void {
  const auth = (...roles: Parameters<typeof requireRole>[1]) => requireRole(d.tokens, roles, d.onAuthFailure);
  const viewer = auth("operator", "station", "admin");
  const records = (): BoardRecordStore => {
    const store = boardRecordStoreOf(d.store);
    if (!store) {
      throw new HttpError(501, ErrorCodes.NOT_SUPPORTED, "This server's store keeps no board-line records");
    }
    return store;
  };

  app.post("/api/board-line/records", auth("station", "admin"), async (c) => {
    const store = records();
    const record = await readJson(c, recordBody);
    const { created } = await store.insertBoardRecord(
      {
        recordId: record.record_id,
        timestamp: new Date(record.timestamp),
        stationId: record.station_id,
        batchId: record.batch_id,
        ...optional("mac", tryNormalizeMac(record.mac_address)),
        status: record.status,
        cells: record,
        sentBy: c.get("caller").name,
        receivedAt: d.now(),
      },
      { signal: requestSignal() },
    );
    if (created) onChange();
    return c.json({ record_id: record.record_id, created }, created ? 201 : 200);
  });

  app.get("/api/board-line/records", viewer, async (c) => {
    const q = (name: string, alias?: string) => c.req.query(name) ?? (alias && c.req.query(alias));
    const status = q("status");
    if (status !== undefined && status !== "passed" && status !== "failed") {
      throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, "status must be passed or failed");
    }
    const mac = q("mac");
    const since = q("since");
    const page = await records().listBoardRecords(
      {
        ...optional("stationId", q("station", "station_id")),
        ...optional("batchId", q("batch", "batch_id")),
        ...(status && { status }),
        ...(mac !== undefined && { mac: normalizeMac(mac) }),
        ...(since !== undefined && { since: dateOf(since, "since") }),
        ...optional("cursor", q("cursor")),
        limit: limitOf(c.req.query("limit"), 100, 1000),
      },
      { signal: requestSignal() },
    );
    return c.json({ records: page.items.map((r) => r.cells), ...nextOf(page.nextCursor) });
  });

  app.get("/api/board-line/records/:record_id", viewer, async (c) => {
    const id = c.req.param("record_id");
    const record = RECORD_ID.test(id)
      ? await records().getBoardRecord(id, { signal: requestSignal() })
      : undefined;
    if (!record) throw new HttpError(404, ErrorCodes.NOT_FOUND, "No board-line record with this id");
    return c.json({
      record: record.cells,
      sent_by: record.sentBy,
      received_at: record.receivedAt.toISOString(),
    });
  });

  app.put("/api/board-line/reports/:report_id", auth("station", "admin"), async (c) => {
    const store = records();
    const id = c.req.param("report_id");
    if (!REPORT_ID.test(id)) {
      throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, "report id: 1-400 letters, digits, . _ + -");
    }
    const body = await readJson(c, reportBody);
    if (id !== reportIdOf(body.report.batchIds)) {
      throw new HttpError(
        400,
        ErrorCodes.INVALID_ARGUMENT,
        "report id must be the report's batch ids joined with +",
      );
    }
    const signal = requestSignal(30_000);
    for (const b of body.batches) await d.store.upsertBatch(toBatchSummary(b), { signal });
    const { report } = body;
    const outcome = await store.putBatchReport(
      {
        reportId: id,
        generatedAt: report.generatedAt,
        batchIds: report.batchIds,
        ...(report.aborted !== undefined && { aborted: report.aborted }),
        devices: report.totals.devices,
        passed: report.totals.passed,
        failed: report.totals.failed,
        document: report,
        sentBy: c.get("caller").name,
        receivedAt: d.now(),
      },
      { signal },
    );
    if (outcome !== "unchanged") onChange();
    const created = outcome === "created";
    return c.json(
      { report_id: id, created, ...(outcome === "replaced" && { replaced: true }) },
      created ? 201 : 200,
    );
  });

  app.get("/api/board-line/reports", viewer, async (c) => {
    const page = await records().listBatchReports(
      { limit: limitOf(c.req.query("limit"), 20, 200), ...optional("cursor", c.req.query("cursor")) },
      { signal: requestSignal() },
    );
    return c.json({ reports: page.items.map(summaryOf), ...nextOf(page.nextCursor) });
  });

  app.get("/api/board-line/reports/:report_id", viewer, async (c) => {
    const id = c.req.param("report_id");
    const report = REPORT_ID.test(id)
      ? await records().getBatchReport(id, { signal: requestSignal() })
      : undefined;
    if (!report) throw new HttpError(404, ErrorCodes.NOT_FOUND, "No batch report with this id");
    return c.json({ report_id: id, report: report.document });
  });
}

/** The id a batch report is stored under: its batch ids joined with `+`. */
export function reportIdOf(batchIds: readonly string[]): string {
  return batchIds.join("+");
}

function summaryOf(r: BatchReport) {
  return {
    report_id: r.reportId,
    generated_at: r.generatedAt,
    batch_ids: r.batchIds,
    aborted: r.aborted,
    totals: r.document.totals,
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined || value === "" ? {} : { [key]: value }) as { [P in K]?: string };
}

function nextOf(cursor: string | undefined): { next_cursor?: string } {
  return cursor === undefined ? {} : { next_cursor: cursor };
}

function dateOf(raw: string, name: string): Date {
  const parsed = z.iso.datetime({ offset: true }).safeParse(raw);
  if (!parsed.success)
    throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, `${name} must be an ISO date-time`);
  return new Date(parsed.data);
}

function limitOf(raw: string | undefined, fallback: number, max: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, "limit must be a whole number ≥ 1");
  return Math.min(n, max);
}
