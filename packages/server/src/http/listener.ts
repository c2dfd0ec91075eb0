import type { Logger } from "@factory/core";
import type { Hono } from "hono";
import type { AuthEnv } from "./auth";
import type { NodeHandler } from "./heartbeat-fast-path";

/** A route served on Node's request and response when the app's own handlers alone serve it. */
export interface FastPath {
  method: string;
  /** The exact request target (no query string). */
  path: string;
  /** The Hono handlers, in order, that serve this route when no plugin added any. */
  handlers: readonly unknown[];
  serve: NodeHandler;
}

/**
 * The Node request listener: each fast path's requests go straight to it, the rest to Hono.
 * On the first request of a fast path it asks the Hono router which handlers match that route;
 * when they are not exactly `handlers` (a plugin added middleware or a route there), that fast
 * path stays off and Hono serves the route, so nothing a plugin added is skipped.
 */
export function createAppListener(o: {
  app: Hono<AuthEnv>;
  hono: NodeHandler;
  fastPaths: readonly FastPath[];
  logger: Logger;
}): NodeHandler {
  const alone = new Map<FastPath, boolean>();
  const usable = (f: FastPath): boolean => {
    let ok = alone.get(f);
    if (ok === undefined) {
      const matched = o.app.router.match(f.method, f.path)[0].map((m) => m[0][0]);
      ok = matched.length === f.handlers.length && matched.every((h, i) => h === f.handlers[i]);
      alone.set(f, ok);
      if (!ok) o.logger.info("fast path off: other handlers serve this route", { route: f.path });
    }
    return ok;
  };
  return (req, res) => {
    for (const f of o.fastPaths) {
      if (req.url === f.path && req.method === f.method && usable(f)) return f.serve(req, res);
    }
    o.hono(req, res);
  };
}
