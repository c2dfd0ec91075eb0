import type { Hono } from "hono";
import type { AuthEnv } from "../http/auth";
import { agentConfigTemplate, agentFiles } from "./agent-files";

/**
 * `GET /agent/factory-agent.sh`, `/agent/words.txt`, `/agent/SHA256SUMS` and
 * `/agent/factory-agent.conf`: what a fresh unit fetches before it has anything else, also under
 * `/cdn/agent/` where units look for offline assets. No token is needed and none is served;
 * strong ETags answer `If-None-Match` with 304.
 */
export function agentRoutes(app: Hono<AuthEnv>): void {
  for (const prefix of ["/agent", "/cdn/agent"]) serve(app, prefix);
}

function serve(app: Hono<AuthEnv>, prefix: string): void {
  app.get(`${prefix}/factory-agent.conf`, (c) => {
    const origin = new URL(c.req.url).origin;
    return c.body(agentConfigTemplate(origin), 200, {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": "no-cache",
    });
  });
  app.get(`${prefix}/:name`, (c) => {
    const f = agentFiles().find((x) => x.name === c.req.param("name"));
    if (!f)
      return c.json({ error: { code: "NOT_FOUND", message: `No agent file ${c.req.param("name")}` } }, 404);
    const headers = { etag: f.etag, "cache-control": "no-cache", "x-content-sha256": f.sha256 };
    const match = c.req.header("if-none-match");
    if (match?.split(",").some((t) => t.trim() === f.etag)) return c.body(null, 304, headers);
    return c.body(new Uint8Array(f.body), 200, { ...headers, "content-type": f.contentType });
  });
}
