import { isFactoryError, tryNormalizeMac } from "@factory/core";
import type { DebugRun, ServerOptions } from "@factory/server";
import type { BuildFloor, FloorUnit } from "./build-floor";
import { DEMO_PAGE_HTML } from "./demo-page";

type Plugin = NonNullable<ServerOptions["plugins"]>[number];
type Deps = Parameters<Plugin>[1];

export interface DemoRoutesOptions {
  floor: () => BuildFloor | undefined;
  buildPorts: number;
  labelPort: string;
  /** The debug station's port (seed: "22"); no debug moves without it. */
  debugPort?: string;
  /** The debug station's runs, newest first (what it did with each unit on its port). */
  debugRuns?: () => readonly DebugRun[];
}

const error = (code: string, message: string) => ({ error: { code, message } });

/** Checks the bearer token's role: undefined when allowed, else the 401/403 answer. */
function authorize(
  header: string | undefined,
  ip: string,
  deps: Deps,
  roles: readonly string[],
): { status: 401 | 403; body: ReturnType<typeof error> } | undefined {
  const m = /^Bearer\s+(\S{1,512})$/i.exec(header ?? "");
  const caller = m ? deps.tokens.verify(m[1]!) : undefined;
  if (!caller) {
    deps.onAuthFailure(ip);
    return { status: 401, body: error("UNAUTHORIZED", "Missing or unknown bearer token") };
  }
  if (!roles.includes(caller.role))
    return {
      status: 403,
      body: error("FORBIDDEN", `Role ${caller.role} may not do this (needs ${roles.join(" or ")})`),
    };
  return undefined;
}

/** The client address as @hono/node-server passes it (for the server's failed-login brake). */
const peer = (env: unknown): string =>
  (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
    ?.remoteAddress ?? "local";

const view = (u: FloorUnit, run?: DebugRun) => ({
  mac: u.mac,
  serial: u.serial ?? null,
  state: u.state,
  stage: u.stage ?? null,
  build_port: u.buildPort,
  plugged_into: u.pluggedInto ?? null,
  // The debug station's latest run for a unit on the debug port: resolving, collecting, stored or failed.
  debug:
    u.state === "debugging" && run
      ? { status: run.status, items: run.items?.length ?? 0, error: run.error?.message ?? null }
      : null,
});

/**
 * The demo's routes, mounted on the server through its plugins: the page (`GET /demo`), the
 * floor (`GET /api/demo/floor`, operator/station/admin), the move of a ready unit to the label
 * port, or the replug of the unit on it (`POST /api/demo/units/{mac}/move`), and the move of a
 * failed or stuck unit to the debug port, or its replug (`POST /api/demo/units/{mac}/debug`);
 * moves need operator/admin and answer 404 for an unknown unit, 409 for one in the wrong state.
 */
export function demoRoutes(o: DemoRoutesOptions): Plugin {
  return (app, deps) => {
    app.get("/demo", (c) => c.html(DEMO_PAGE_HTML));
    app.get("/api/demo/floor", (c) => {
      const denied = authorize(c.req.header("authorization"), peer(c.env), deps, [
        "operator",
        "station",
        "admin",
      ]);
      if (denied) return c.json(denied.body, denied.status);
      const runs = o.debugRuns?.() ?? [];
      const latest = (mac: string) => runs.find((r) => r.mac === mac);
      return c.json({
        build_ports: o.buildPorts,
        label_port: o.labelPort,
        debug_port: o.debugPort ?? null,
        units: (o.floor()?.units() ?? []).map((u) => view(u, latest(u.mac))),
      });
    });
    for (const [where, route] of [
      ["label", "/api/demo/units/:mac/move"],
      ["debug", "/api/demo/units/:mac/debug"],
    ] as const) {
      app.post(route, (c) => {
        const denied = authorize(c.req.header("authorization"), peer(c.env), deps, ["operator", "admin"]);
        if (denied) return c.json(denied.body, denied.status);
        const mac = tryNormalizeMac(decodeURIComponent(c.req.param("mac")));
        if (!mac) return c.json(error("INVALID_ARGUMENT", "The path does not name a MAC address"), 400);
        const floor = o.floor();
        if (!floor) return c.json(error("NOT_FOUND", "The floor is not running"), 404);
        if (where === "debug" && !o.debugPort)
          return c.json(error("NOT_FOUND", "This demo runs no debug station"), 404);
        try {
          const unit = where === "label" ? floor.moveToLabelPort(mac) : floor.moveToDebugPort(mac);
          deps.logger.info(`demo: unit moved to the ${where} port`, { mac });
          return c.json({ unit: view(unit) });
        } catch (e) {
          if (isFactoryError(e, "NOT_FOUND")) return c.json(error("NOT_FOUND", (e as Error).message), 404);
          if (isFactoryError(e, "CONFLICT")) return c.json(error("CONFLICT", (e as Error).message), 409);
          throw e;
        }
      });
    }
  };
}
