import { tryNormalizeMac } from "@factory/core";
import type { Hono, MiddlewareHandler } from "hono";
import { type AuthEnv, clientIp } from "../http/auth";

/**
 * Where each unit last talked to this server from: the source address of its heartbeats and
 * reports, which on the factory network is the unit's WAN address. The debug station uses it
 * to reach a unit over SSH without asking the switch.
 */
export interface ContactBook {
  record(mac: string, address: string): void;
  lookup(mac: string): { address: string; at: Date } | undefined;
}

export function createContactBook(options: { max?: number; now?: () => Date } = {}): ContactBook {
  const max = options.max ?? 10_000;
  const now = options.now ?? (() => new Date());
  const entries = new Map<string, { address: string; at: Date }>();
  return {
    record(mac, address) {
      const key = tryNormalizeMac(mac);
      if (!key || !address || address === "local") return;
      entries.delete(key);
      entries.set(key, { address: address.replace(/^::ffff:/, ""), at: now() });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    lookup(mac) {
      const key = tryNormalizeMac(mac);
      return key ? entries.get(key) : undefined;
    },
  };
}

const MAC_FIELD = /"mac_wan"\s*:\s*"([^"]{1,32})"/;

/**
 * Records the source address of every accepted heartbeat and report. Reads the body text the
 * route already read (Hono caches it), so it costs one short regex per request.
 */
export function contactMiddleware(book: ContactBook): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    await next();
    if (c.req.method !== "POST" || c.res.status >= 300) return;
    try {
      const mac = MAC_FIELD.exec(await c.req.text())?.[1];
      if (mac) book.record(mac, clientIp(c.req.raw, c.env));
    } catch {
      // The body was not readable as text: nothing to record.
    }
  };
}

/** Mounts the contact recorder on the unit report routes; call before the routes are added. */
export function recordContacts(app: Hono<AuthEnv>, book: ContactBook): void {
  app.use("/api/heartbeat", contactMiddleware(book));
  app.use("/api/units", contactMiddleware(book));
}
