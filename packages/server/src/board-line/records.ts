import type { AuditEvent } from "@factory/core";
import type { Hono } from "hono";
import { z } from "zod";
import { type AuthEnv, requireRole } from "../http/auth";
import { readJson } from "../http/body";
import type { AppDeps } from "../http/deps";
import { requestSignal } from "../http/deps";
import { HttpError } from "../http/errors";

/** Audit actions the board line's records are kept under (every store keeps the audit log). */
export const RECORD_ACTION = "board-line.record";
export const REPORT_ACTION = "board-line.batch-report";
/** How many recent entries a retry is looked for in (a retry follows its original closely). */
const RECENT = 2000;

const cell = (max: number) => z.string().max(max);
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * One device record: the cells of its row in the daily CSV (`factory_records_YYYYMMDD.csv`), as
 * strings, plus `record_id` (a hash of those cells, so a resent record is recognised). The CSV
 * never holds secrets (the QR column holds the masked payload), so neither does this.
 */
const recordBody = z.object({
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
const reportBody = z.object({
  report: z
    .object({
      schema: z.literal("factory.batch-report/1"),
      generatedAt: z.string(),
      batchIds: z.array(z.string().max(200)).min(1).max(256),
      totals: z.object({ devices: z.number(), passed: z.number(), failed: z.number() }).loose(),
    })
    .loose(),
  batches: z.array(batchBody).max(256),
});

const REPORT_ID = /^[\w.+-]{1,400}$/;

/**
 * The board line's records in the server: each device's record (`POST /api/board-line/records`)
 * and each batch report (`PUT /api/board-line/reports/:report_id`), sent by `factory flash`
 * (station or admin token), both idempotent, readable by operators
 * (`GET /api/board-line/records`, `GET /api/board-line/reports`, `GET /api/board-line/reports/:id`).
 * Records and reports are kept in the store's audit log (so SQLite and PostgreSQL keep them the
 * same way); the station batches of a report also go to the provisioning batches
 * (`GET /api/admin/provisioning/batches`). `onChange` is told after each new record or report.
 */
export function boardLineRecordRoutes(app: Hono<AuthEnv>, d: AppDeps, onChange: () => void): void {
  const auth = (...roles: Parameters<typeof requireRole>[1]) => requireRole(d.tokens, roles, d.onAuthFailure);
  const viewer = auth("operator", "station", "admin");

  app.post("/api/board-line/records", auth("station", "admin"), async (c) => {
    const record = await readJson(c, recordBody);
    const signal = requestSignal();
    const mac = MAC.test(record.mac_address) ? record.mac_address : undefined;
    const recent = await d.store.listAudit(
      { action: RECORD_ACTION, ...(mac && { mac }), limit: RECENT },
      { signal },
    );
    if (recent.some((e) => recordOf(e)?.record_id === record.record_id)) {
      return c.json({ record_id: record.record_id, created: false }, 200);
    }
    await d.store.appendAudit(
      {
        at: d.now(),
        actor: c.get("caller").name,
        action: RECORD_ACTION,
        ...(mac && { mac }),
        details: record,
      },
      { signal },
    );
    onChange();
    return c.json({ record_id: record.record_id, created: true }, 201);
  });

  app.get("/api/board-line/records", viewer, async (c) => {
    const limit = limitOf(c.req.query("limit"), 100, 1000);
    const batchId = c.req.query("batch_id");
    const stationId = c.req.query("station_id");
    const status = c.req.query("status");
    const all = await d.store.listAudit(
      { action: RECORD_ACTION, limit: batchId || stationId || status ? RECENT * 5 : limit },
      { signal: requestSignal() },
    );
    const records = all
      .map(recordOf)
      .filter((r): r is BoardLineRecord => r !== undefined)
      .filter(
        (r) =>
          (!batchId || r.batch_id === batchId) &&
          (!stationId || r.station_id === stationId) &&
          (!status || r.status === status),
      )
      .slice(0, limit);
    return c.json({ records });
  });

  app.put("/api/board-line/reports/:report_id", auth("station", "admin"), async (c) => {
    const id = c.req.param("report_id");
    if (!REPORT_ID.test(id)) {
      throw new HttpError(400, "INVALID_ARGUMENT", "report id: 1-400 letters, digits, . _ + -");
    }
    const body = await readJson(c, reportBody);
    if (id !== reportIdOf(body.report.batchIds)) {
      throw new HttpError(400, "INVALID_ARGUMENT", "report id must be the report's batch ids joined with +");
    }
    const signal = requestSignal(30_000);
    for (const b of body.batches) {
      await d.store.upsertBatch(
        {
          batchId: b.batch_id,
          ...(b.station_id !== undefined && { stationId: b.station_id }),
          startedAt: new Date(b.started_at),
          ...(b.finished_at !== undefined && { finishedAt: new Date(b.finished_at) }),
          total: b.total,
          passed: b.passed,
          failed: b.failed,
        },
        { signal },
      );
    }
    const stored = await findReport(d, id, signal);
    if (stored && JSON.stringify(stored) === JSON.stringify(body.report)) {
      return c.json({ report_id: id, created: false }, 200);
    }
    await d.store.appendAudit(
      {
        at: d.now(),
        actor: c.get("caller").name,
        action: REPORT_ACTION,
        details: { report_id: id, report: body.report },
      },
      { signal },
    );
    onChange();
    return c.json({ report_id: id, created: stored === undefined }, stored ? 200 : 201);
  });

  app.get("/api/board-line/reports", viewer, async (c) => {
    const limit = limitOf(c.req.query("limit"), 20, 200);
    const events = await d.store.listAudit(
      { action: REPORT_ACTION, limit: limit * 4 },
      { signal: requestSignal() },
    );
    const seen = new Set<string>();
    const reports: unknown[] = [];
    for (const e of events) {
      const id = (e.details as { report_id?: unknown } | undefined)?.report_id;
      const report = (e.details as { report?: Record<string, unknown> } | undefined)?.report;
      if (typeof id !== "string" || !report || seen.has(id)) continue;
      seen.add(id);
      reports.push({
        report_id: id,
        generated_at: report.generatedAt,
        batch_ids: report.batchIds,
        aborted: report.aborted,
        totals: report.totals,
      });
      if (reports.length >= limit) break;
    }
    return c.json({ reports });
  });

  app.get("/api/board-line/reports/:report_id", viewer, async (c) => {
    const report = await findReport(d, c.req.param("report_id"), requestSignal());
    if (!report) throw new HttpError(404, "NOT_FOUND", "No batch report with this id");
    return c.json({ report_id: c.req.param("report_id"), report });
  });
}

/** The id a batch report is stored under: its batch ids joined with `+`. */
export function reportIdOf(batchIds: readonly string[]): string {
  return batchIds.join("+");
}

async function findReport(d: AppDeps, id: string, signal: AbortSignal): Promise<unknown> {
  const events = await d.store.listAudit({ action: REPORT_ACTION, limit: RECENT }, { signal });
  for (const e of events) {
    const details = e.details as { report_id?: unknown; report?: unknown } | undefined;
    if (details?.report_id === id) return details.report;
  }
  return undefined;
}

function recordOf(e: AuditEvent): BoardLineRecord | undefined {
  const parsed = recordBody.safeParse(e.details);
  return parsed.success ? parsed.data : undefined;
}

function limitOf(raw: string | undefined, fallback: number, max: number): number {
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new HttpError(400, "INVALID_ARGUMENT", "limit must be a whole number ≥ 1");
  return Math.min(n, max);
}
