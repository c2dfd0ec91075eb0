import type { DeviceRegistration } from "@factory/core";
import type { Hono } from "hono";
import type { z } from "zod";
import { type AuthEnv, requireRole } from "./auth";
import { readJson } from "./body";
import { type AppDeps, requestSignal } from "./deps";
import { HttpError } from "./errors";
import { bulkBody, type registrationBody, toBatchSummary } from "./schemas";
import { batchJson, registrationJson } from "./views";

function toRegistration(r: z.output<typeof registrationBody>): Omit<DeviceRegistration, "createdAt"> {
  return {
    deviceId: r.device_id,
    uniqueId: r.unique_id,
    boardType: r.board_type,
    ...(r.mac !== undefined && { mac: r.mac }),
    ...(r.station_id !== undefined && { stationId: r.station_id }),
    ...(r.batch_id !== undefined && { batchId: r.batch_id }),
    ...(r.firmware_version !== undefined && { firmwareVersion: r.firmware_version }),
    ...(r.device_secret !== undefined && { deviceSecret: r.device_secret }),
    ...(r.provisioning_token !== undefined && { provisioningToken: r.provisioning_token }),
  };
}

function limitOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new HttpError(400, "INVALID_ARGUMENT", "limit must be an integer from 1 to 10000");
  }
  return n;
}

/** The seed 000 "Integration" API, the seed's quality metrics and the audit log. */
export function adminRoutes(
  app: Hono<AuthEnv>,
  d: AppDeps,
  registrationSchema: typeof registrationBody,
): void {
  const auth = (...roles: Parameters<typeof requireRole>[1]) => requireRole(d.tokens, roles, d.onAuthFailure);

  app.post("/api/admin/device-registrations", auth("station", "admin"), async (c) => {
    const body = await readJson(c, registrationSchema);
    const { registration, created } = await d.store.addRegistration(toRegistration(body), {
      signal: requestSignal(),
    });
    if (created) {
      await d.store.appendAudit({
        at: d.now(),
        actor: c.get("caller").name,
        action: "registration.created",
        ...(registration.mac !== undefined && { mac: registration.mac }),
        details: { deviceId: registration.deviceId },
      });
    }
    return c.json({ created, registration: registrationJson(registration) }, created ? 201 : 200);
  });

  app.get("/api/admin/device-registrations", auth("operator", "admin"), async (c) => {
    const list = await d.store.listRegistrations(
      {
        ...(c.req.query("batch_id") !== undefined && { batchId: c.req.query("batch_id")! }),
        ...(c.req.query("station_id") !== undefined && { stationId: c.req.query("station_id")! }),
        limit: limitOf(c.req.query("limit"), 1000),
      },
      { signal: requestSignal() },
    );
    return c.json({ registrations: list.map(registrationJson) });
  });

  app.get("/api/admin/provisioning/batches", auth("operator", "station", "admin"), async (c) => {
    const list = await d.store.listBatches(
      {
        ...(c.req.query("station_id") !== undefined && { stationId: c.req.query("station_id")! }),
        limit: limitOf(c.req.query("limit"), 100),
      },
      { signal: requestSignal() },
    );
    return c.json({ batches: list.map(batchJson) });
  });

  app.post("/api/admin/provisioning/bulk", auth("station", "admin"), async (c) => {
    const body = await readJson(c, bulkBody);
    const signal = requestSignal(30_000);
    const results = await d.store.addRegistrations(body.devices.map(toRegistration), { signal });
    if (body.batch) {
      await d.store.upsertBatch(toBatchSummary(body.batch), { signal });
    }
    const created = results.filter((r) => r.created).length;
    await d.store.appendAudit({
      at: d.now(),
      actor: c.get("caller").name,
      action: "registration.bulk",
      details: { devices: results.length, created },
    });
    return c.json(
      {
        created,
        existing: results.length - created,
        registrations: results.map((r) => registrationJson(r.registration)),
      },
      created > 0 ? 201 : 200,
    );
  });

  app.get("/api/metrics", auth("operator", "admin"), async (c) => {
    const range: { since?: Date; until?: Date } = {};
    for (const k of ["since", "until"] as const) {
      const v = c.req.query(k);
      if (v === undefined) continue;
      const date = new Date(v);
      if (Number.isNaN(date.getTime())) throw new HttpError(400, "INVALID_ARGUMENT", `${k} must be a date`);
      range[k] = date;
    }
    const m = await d.store.metrics(range, { signal: requestSignal() });
    return c.json({
      success_rate_by_day: m.successRateByDay.map((r) => ({
        ...r,
        success_rate: r.successRate,
        successRate: undefined,
      })),
      average_build_duration_seconds: m.averageBuildDurationSeconds,
      most_common_failed_tests: m.commonFailedTests,
      reprints: m.reprints,
    });
  });

  app.get("/api/audit", auth("admin"), async (c) => {
    const events = await d.store.listAudit(
      {
        ...(c.req.query("mac") !== undefined && { mac: c.req.query("mac")! }),
        ...(c.req.query("action") !== undefined && { action: c.req.query("action")! }),
        limit: limitOf(c.req.query("limit"), 200),
      },
      { signal: requestSignal() },
    );
    return c.json({ events: events.map((e) => ({ ...e, at: e.at.toISOString() })) });
  });
}
