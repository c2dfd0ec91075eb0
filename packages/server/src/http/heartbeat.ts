import type { Unit } from "@factory/core";
import type { Hono, MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { EventBus } from "../events";
import { type AuthEnv, clientIp, type Role, requireRole } from "./auth";
import { readJson } from "./body";
import { type AppDeps, requestSignal } from "./deps";
import { heartbeatBody } from "./schemas";

/** Who may send heartbeats. */
export const HEARTBEAT_ROLES: readonly Role[] = ["unit", "admin"];

export type HeartbeatBody = z.output<typeof heartbeatBody>;

/** Tells the dashboards (and other instances) a unit's new state. */
export function announceUnit(events: EventBus, u: Unit): void {
  events.publish({
    type: "unit",
    mac: u.mac,
    status: u.status,
    ...(u.stage !== undefined && { stage: u.stage }),
    ...(u.port !== undefined && { port: u.port }),
    at: u.updatedAt.toISOString(),
  });
}

/**
 * Stores a validated heartbeat, announces the unit and records where it talked from; resolves
 * with the answer's body once the heartbeat is committed. Shared by the Hono route and the
 * fast path, so both do exactly the same.
 */
export async function acceptHeartbeat(
  d: AppDeps,
  body: HeartbeatBody,
  address: string,
): Promise<{ ok: true; mac_wan: string; status: Unit["status"] }> {
  const unit = await d.store.recordHeartbeat(
    {
      mac: body.mac_wan,
      status: "building",
      ...(body.stage !== undefined && { stage: body.stage }),
      ...(body.port !== undefined && { port: String(body.port) }),
      timestamp: new Date(body.timestamp),
    },
    { signal: requestSignal() },
  );
  announceUnit(d.events, unit);
  d.unitContacts.record(unit.mac, address);
  return { ok: true, mac_wan: unit.mac, status: unit.status };
}

/** Adds `POST /api/heartbeat` to the app; returns its handlers (the fast path checks it alone serves the path). */
export function heartbeatRoute(app: Hono<AuthEnv>, d: AppDeps): MiddlewareHandler<AuthEnv>[] {
  const auth = requireRole(d.tokens, HEARTBEAT_ROLES, d.onAuthFailure);
  const handler: MiddlewareHandler<AuthEnv> = async (c) =>
    c.json(await acceptHeartbeat(d, await readJson(c, heartbeatBody), clientIp(c.req.raw, c.env)));
  app.post("/api/heartbeat", auth, handler);
  return [auth, handler];
}
