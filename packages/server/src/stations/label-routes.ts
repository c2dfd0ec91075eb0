import { tryNormalizeMac } from "@factory/core";
import type { Hono } from "hono";
import { z } from "zod";
import { type AuthEnv, requireRole } from "../http/auth";
import { readJson } from "../http/body";
import { type AppDeps, requestSignal } from "../http/deps";
import { HttpError } from "../http/errors";
import { LABEL_PAGE_HTML } from "../pages/label-page";
import type { LabelRunner } from "./label-runner";
import { streamValues } from "./sse";

const answerBody = z
  .object({
    session: z.number().int().min(1),
    action: z.enum(["print", "skip", "printed-ok", "printed-bad", "reprint", "retry"]),
  })
  .strict();

/**
 * The labeling station over HTTP: its page (`/station/label`), its state
 * (`GET /api/stations/label`, live on `/api/stations/label/events`), operator answers
 * (`POST /api/stations/label/answers` `{ session, action }`: 409 `STALE_SESSION` when the
 * session is no longer the current question), and the misprint record a remote station posts
 * (`POST /api/units/{mac}/label-rejections`).
 */
export function labelRoutes(app: Hono<AuthEnv>, d: AppDeps, runner: LabelRunner | undefined): void {
  const auth = (...roles: Parameters<typeof requireRole>[1]) => requireRole(d.tokens, roles, d.onAuthFailure);
  const viewer = auth("operator", "station", "admin");

  app.post("/api/units/:mac/label-rejections", auth("station"), async (c) => {
    const mac = tryNormalizeMac(decodeURIComponent(c.req.param("mac")));
    if (!mac) throw new HttpError(400, "INVALID_ARGUMENT", "The path does not name a MAC address");
    const unit = await d.store.getUnit(mac, { signal: requestSignal() });
    if (!unit) throw new HttpError(404, "NOT_FOUND", `No unit with MAC ${mac}`);
    await d.store.appendAudit(
      { at: d.now(), actor: c.get("caller").name, action: "label.rejected", mac },
      { signal: requestSignal() },
    );
    return c.body(null, 204);
  });

  app.get("/station/label", (c) => c.html(LABEL_PAGE_HTML));

  const need = (): LabelRunner => {
    if (!runner)
      throw new HttpError(404, "NOT_FOUND", "This server runs no labeling station (stations.label)");
    return runner;
  };

  app.get("/api/stations/label", viewer, (c) => {
    const r = need();
    return c.json({
      port: r.port,
      printer: r.printerName,
      state: r.view,
      ...(r.stopped && { stopped: r.stopped }),
    });
  });

  app.get("/api/stations/label/events", viewer, (c) => {
    const r = need();
    return streamValues(
      c,
      "state",
      () => r.view,
      (push) => r.subscribe(push),
    );
  });

  app.post("/api/stations/label/answers", viewer, async (c) => {
    const r = need();
    const body = await readJson(c, answerBody);
    const caller = c.get("caller");
    // No request signal: a print or a deletion under way finishes (bounded by the station) even
    // if the tablet drops the connection.
    const result = await r.answer(body.session, body.action);
    d.logger.info("label station answer", {
      session: body.session,
      action: body.action,
      accepted: result.ok,
      caller: caller.name,
    });
    if (!result.ok) {
      return c.json(
        {
          error: {
            code: "STALE_SESSION",
            message: `Session ${body.session} is no longer waiting for "${body.action}"; the screen shows the current unit`,
          },
          state: result.state,
        },
        409,
      );
    }
    return c.json({ ok: true, state: result.state });
  });
}
