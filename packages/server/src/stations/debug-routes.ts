import { tryNormalizeMac } from "@factory/core";
import type { Hono } from "hono";
import { z } from "zod";
import { type AuthEnv, requireRole } from "../http/auth";
import { readJson } from "../http/body";
import type { AppDeps } from "../http/deps";
import { HttpError } from "../http/errors";
import { DEBUG_PAGE_HTML } from "../pages/debug-page";
import type { DebugRun, DebugStation } from "./debug-station";
import { streamValues } from "./sse";

const collectBody = z.object({ mac_wan: z.string().max(32) }).strict();

/**
 * The debug station over HTTP: its page (`/station/debug`: units seen on the debug port and
 * their collected logs), its runs (`GET /api/stations/debug`, live on
 * `/api/stations/debug/events`) and "collect again" (`POST /api/stations/debug/collect`).
 */
export function debugRoutes(
  app: Hono<AuthEnv>,
  d: AppDeps,
  station: { debug: DebugStation; port: string; signal: AbortSignal } | undefined,
): void {
  const viewer = requireRole(d.tokens, ["operator", "station", "admin"], d.onAuthFailure);
  app.get("/station/debug", (c) => c.html(DEBUG_PAGE_HTML));
  const need = () => {
    if (!station) throw new HttpError(404, "NOT_FOUND", "This server runs no debug station (stations.debug)");
    return station;
  };
  app.get("/api/stations/debug", viewer, (c) => {
    const s = need();
    return c.json({ port: s.port, runs: s.debug.history });
  });
  app.get("/api/stations/debug/events", viewer, (c) => {
    const s = need();
    return streamValues<DebugRun | { hello: true }>(
      c,
      "run",
      () => ({ hello: true }),
      (push) => s.debug.subscribe(push),
    );
  });
  app.post("/api/stations/debug/collect", viewer, async (c) => {
    const s = need();
    const body = await readJson(c, collectBody);
    const mac = tryNormalizeMac(body.mac_wan);
    if (!mac) throw new HttpError(400, "INVALID_ARGUMENT", "mac_wan is not a MAC address");
    void s.debug.arrived(mac, s.signal);
    return c.json({ accepted: true, mac_wan: mac }, 202);
  });
}
