import { normalizeMac, tryNormalizeMac, type Unit } from "@factory/core";
import type { Hono } from "hono";
import { type AuthEnv, clientIp, requireRole } from "./auth";
import { readJson } from "./body";
import type { AppDeps } from "./deps";
import { requestSignal } from "./deps";
import { HttpError } from "./errors";
import { announceUnit } from "./heartbeat";
import { debugLogBody, reportBody, unitStatus } from "./schemas";
import { unitJson } from "./views";

function pathMac(raw: string): string {
  const mac = tryNormalizeMac(decodeURIComponent(raw));
  if (!mac)
    throw new HttpError(400, "INVALID_ARGUMENT", "The path does not name a MAC address (aa:bb:cc:dd:ee:ff)");
  return mac;
}

const idempotencyKey = (value: string | undefined) => {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,128}$/.test(value)) {
    throw new HttpError(400, "INVALID_ARGUMENT", "Idempotency-Key must be 1-128 visible ASCII characters");
  }
  return value;
};

/** The seed 002 API (heartbeats aside, see heartbeat.ts): reports, unit reads and deletes, label prints, debug logs. */
export function unitRoutes(app: Hono<AuthEnv>, d: AppDeps): void {
  const auth = (...roles: Parameters<typeof requireRole>[1]) => requireRole(d.tokens, roles, d.onAuthFailure);
  const announce = (u: Unit) => announceUnit(d.events, u);

  app.post("/api/units", auth("unit", "admin"), async (c) => {
    const body = await readJson(c, reportBody);
    const common = {
      mac: body.mac_wan,
      ...(body.build_time !== undefined && { buildTime: new Date(body.build_time) }),
      ...(body.build_duration_seconds !== undefined && { buildDurationSeconds: body.build_duration_seconds }),
      ...(body.test_results !== undefined && { testResults: body.test_results }),
    };
    const key = idempotencyKey(c.req.header("idempotency-key"));
    const { unit, created } = await d.store.recordReport(
      body.status === "ready"
        ? {
            ...common,
            status: "ready",
            serial: body.serial,
            credentials: { adminPassword: body.admin_password, servicesPassword: body.services_password },
          }
        : {
            ...common,
            status: "failed",
            ...(body.serial !== undefined && { serial: body.serial }),
            ...(body.error_log !== undefined && { errorLog: body.error_log }),
            ...(body.failed_tests !== undefined && { failedTests: body.failed_tests }),
            ...(body.diagnostic_data !== undefined && { diagnosticData: body.diagnostic_data }),
          },
      { signal: requestSignal(), ...(key !== undefined && { idempotencyKey: key }) },
    );
    if (created) announce(unit);
    d.unitContacts.record(unit.mac, clientIp(c.req.raw, c.env));
    d.logger.info("unit report", {
      mac: unit.mac,
      status: unit.status,
      created,
      caller: c.get("caller").name,
    });
    return c.json({ created, unit: unitJson(unit) }, created ? 201 : 200);
  });

  app.get("/api/units", auth("operator", "station", "admin"), async (c) => {
    const statuses = c.req.queries("status") ?? [];
    const parsed = statuses.flatMap((s) => s.split(",")).map((s) => unitStatus.safeParse(s));
    const bad = parsed.find((p) => !p.success);
    if (bad)
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        "status must be building, ready, failed, stuck or labeled",
      );
    const limitText = c.req.query("limit");
    const limit = limitText === undefined ? 500 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new HttpError(400, "INVALID_ARGUMENT", "limit must be an integer from 1 to 10000");
    }
    const sinceText = c.req.query("since");
    const since = sinceText === undefined ? undefined : new Date(sinceText);
    if (since && Number.isNaN(since.getTime()))
      throw new HttpError(400, "INVALID_ARGUMENT", "since must be a date");
    const units = await d.store.listUnits(
      {
        ...(parsed.length > 0 && { status: parsed.map((p) => p.data!) }),
        ...(since && { since }),
        limit,
      },
      { signal: requestSignal() },
    );
    return c.json({ units: units.map(unitJson) });
  });

  app.get("/api/units/:mac", auth("operator", "station", "admin"), async (c) => {
    const mac = pathMac(c.req.param("mac"));
    const caller = c.get("caller");
    const unit = await d.store.getUnit(mac, { signal: requestSignal() });
    if (!unit) throw new HttpError(404, "NOT_FOUND", `No unit with MAC ${mac}`);
    if (caller.role !== "station" || !unit.hasCredentials) return c.json(unitJson(unit));
    const credentials = await d.store.getCredentials(mac, { signal: requestSignal() });
    if (credentials) {
      await d.store.appendAudit({ at: d.now(), actor: caller.name, action: "credentials.read", mac });
    }
    return c.json({
      ...unitJson(unit),
      ...(credentials && {
        admin_password: credentials.adminPassword,
        services_password: credentials.servicesPassword,
      }),
    });
  });

  app.delete("/api/units/:mac", auth("station", "operator", "admin"), async (c) => {
    const mac = pathMac(c.req.param("mac"));
    const caller = c.get("caller");
    const signal = requestSignal();
    if (caller.role === "station") {
      const deleted = await d.store.deleteCredentials(mac, { signal });
      if (!deleted) throw new HttpError(404, "NOT_FOUND", `No stored credentials for ${mac}`);
      await d.store.appendAudit({ at: d.now(), actor: caller.name, action: "credentials.deleted", mac });
      const unit = await d.store.getUnit(mac, { signal });
      if (unit) announce(unit);
      return c.body(null, 204);
    }
    const deleted = await d.store.deleteUnit(mac, { signal });
    if (!deleted) throw new HttpError(404, "NOT_FOUND", `No unit with MAC ${mac}`);
    await d.store.appendAudit({ at: d.now(), actor: caller.name, action: "unit.deleted", mac });
    d.events.publish({ type: "unit.deleted", mac, at: d.now().toISOString() });
    return c.body(null, 204);
  });

  app.post("/api/units/:mac/label-prints", auth("station"), async (c) => {
    const mac = pathMac(c.req.param("mac"));
    const unit = await d.store.recordLabelPrint(mac, { signal: requestSignal() });
    await d.store.appendAudit({
      at: d.now(),
      actor: c.get("caller").name,
      action: "label.printed",
      mac,
      details: { reprint: unit.reprints > 0 },
    });
    announce(unit);
    return c.json(unitJson(unit));
  });

  app.post("/api/debug-logs", auth("station", "admin"), async (c) => {
    const body = await readJson(c, debugLogBody);
    const log = await d.store.addDebugLog(
      {
        mac: normalizeMac(body.mac_wan),
        collectedAt: body.collected_at ? new Date(body.collected_at) : d.now(),
        entries: body.logs,
      },
      { signal: requestSignal() },
    );
    await d.store.appendAudit({
      at: d.now(),
      actor: c.get("caller").name,
      action: "debug-logs.saved",
      mac: log.mac,
    });
    return c.json({ id: log.id, mac_wan: log.mac, collected_at: log.collectedAt.toISOString() }, 201);
  });

  app.get("/api/units/:mac/debug-logs", auth("operator", "station", "admin"), async (c) => {
    const mac = pathMac(c.req.param("mac"));
    const logs = await d.store.listDebugLogs(mac, { signal: requestSignal() });
    return c.json({
      logs: logs.map((l) => ({ id: l.id, collected_at: l.collectedAt.toISOString(), logs: l.entries })),
    });
  });
}
