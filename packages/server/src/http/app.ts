import { type Logger, noopLogger, type UnitStore } from "@factory/core";
import { getRequestListener } from "@hono/node-server";
import { Hono, type MiddlewareHandler } from "hono";
import { streamSSE } from "hono/streaming";
import { agentRoutes } from "../agent/routes";
import { DASHBOARD_HTML, dashboardSnapshot } from "../dashboard";
import type { EventBus, ServerEvent } from "../events";
import { openApiDocument } from "../openapi";
import { HttpStats } from "../prometheus";
import { createAdmission } from "./admission";
import { type AuthEnv, clientIp, requireRole, type TokenTable } from "./auth";
import { bodySizeLimit } from "./body-limit";
import { type AppDeps, createUnitContacts } from "./deps";
import { errorBody, respondError } from "./errors";
import { heartbeatRoute } from "./heartbeat";
import { createHeartbeatFastPath, type NodeHandler, payloadTooLarge } from "./heartbeat-fast-path";
import { createAppListener } from "./listener";
import { adminRoutes } from "./routes-admin";
import { unitRoutes } from "./routes-units";
import { registrationBody } from "./schemas";

export interface AppOptions {
  store: UnitStore;
  tokens: TokenTable;
  events: EventBus;
  logger?: Logger;
  now?: () => Date;
  /** Largest accepted request body (default 8 MiB: a failure report with diagnostics). */
  bodyLimitBytes?: number;
  /** Requests per second per client address (default 2000, burst twice that). 0 disables. */
  rateLimitPerSecond?: number;
  /** Failed authentications per minute per client address before 429 (default 30). */
  authFailuresPerMinute?: number;
  version?: string;
  stats?: HttpStats;
  /** Added before the API routes (stations: their routes and the unit-contact recorder). */
  plugins?: ReadonlyArray<(app: Hono<AuthEnv>, deps: AppDeps) => void>;
}

/**
 * The HTTP application (Hono): seed 002 and seed 000 APIs, dashboard, SSE, OpenAPI and
 * Prometheus metrics. Every error is a JSON body with a stable `code`; bad input is answered
 * 4xx before anything is written. `listener` serves it on `node:http`, with `POST /api/heartbeat`
 * on a fast path that skips the Hono adapter (same checks, same code; see
 * {@link createHeartbeatFastPath}) as long as no plugin added handlers on that path.
 */
export function createApp(o: AppOptions): { app: Hono<AuthEnv>; stats: HttpStats; listener: NodeHandler } {
  const log = o.logger ?? noopLogger;
  const now = o.now ?? (() => new Date());
  const stats = o.stats ?? new HttpStats();
  const app = new Hono<AuthEnv>();
  const admission = createAdmission({
    rateLimitPerSecond: o.rateLimitPerSecond ?? 2000,
    authFailuresPerMinute: o.authFailuresPerMinute ?? 30,
  });
  const bodyLimitBytes = o.bodyLimitBytes ?? 8 * 1024 * 1024;
  const deps: AppDeps = {
    store: o.store,
    tokens: o.tokens,
    events: o.events,
    logger: log,
    now,
    onAuthFailure: (ip) => admission.authFailed(ip),
    unitContacts: createUnitContacts(log),
  };

  app.onError((error, c) => respondError(c, error, log));
  app.notFound((c) => c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404));

  const front: MiddlewareHandler<AuthEnv> = async (c, next) => {
    const started = performance.now();
    const refused = admission.check(clientIp(c.req.raw, c.env), Boolean(c.req.header("authorization")));
    if (refused) {
      c.header("retry-after", String(refused.retryAfter));
      throw refused.error;
    }
    try {
      await next();
    } finally {
      const route = c.req.routePath || "unmatched";
      stats.observe(route, c.req.method, c.res.status, (performance.now() - started) / 1000);
    }
  };
  const limitBody = bodySizeLimit(bodyLimitBytes, () => {
    throw payloadTooLarge(bodyLimitBytes);
  });
  app.use("*", front);
  app.use("/api/*", limitBody);

  for (const plugin of o.plugins ?? []) plugin(app, deps);
  const heartbeat = heartbeatRoute(app, deps);
  unitRoutes(app, deps);
  agentRoutes(app);
  adminRoutes(app, deps, registrationBody);

  const viewer = requireRole(o.tokens, ["operator", "station", "admin"], deps.onAuthFailure);
  app.get("/api/dashboard", viewer, async (c) =>
    c.json(await dashboardSnapshot(o.store, AbortSignal.timeout(15_000), now())),
  );
  app.get("/api/events", viewer, (c) =>
    streamSSE(c, async (stream) => {
      const queue: ServerEvent[] = [];
      let wake: (() => void) | undefined;
      const off = o.events.subscribe((e) => {
        if (queue.length < 1000) queue.push(e);
        wake?.();
      });
      stream.onAbort(() => {
        off();
        wake?.();
      });
      await stream.writeSSE({ event: "hello", data: JSON.stringify({ at: now().toISOString() }) });
      while (!stream.aborted && !stream.closed) {
        const e = queue.shift();
        if (e) {
          await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
          continue;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 15_000);
          wake = () => {
            clearTimeout(timer);
            wake = undefined;
            resolve();
          };
        });
        if (queue.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
      }
      off();
    }),
  );

  app.get("/api/openapi.json", (c) => c.json(openApiDocument(o.version ?? "0.0.0")));
  app.get("/metrics", async (c) =>
    c.text(await stats.render(o.store, AbortSignal.timeout(15_000)), 200, {
      "content-type": "text/plain; version=0.0.4",
    }),
  );
  app.get("/healthz", (c) => c.json({ ok: true }));
  app.get("/", (c) => c.html(DASHBOARD_HTML));
  app.get("/dashboard", (c) => c.html(DASHBOARD_HTML));
  const listener = createAppListener({
    app,
    hono: getRequestListener((request, env) => app.fetch(request, env)),
    logger: log,
    fastPaths: [
      {
        method: "POST",
        path: "/api/heartbeat",
        handlers: [front, limitBody, ...heartbeat],
        serve: createHeartbeatFastPath({ deps, admission, bodyLimitBytes, stats }),
      },
    ],
  });
  return { app, stats, listener };
}
