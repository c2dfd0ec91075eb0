import { hash, timingSafeEqual } from "node:crypto";
import { createError, ErrorCodes } from "@factory/core";
import type { MiddlewareHandler } from "hono";
import { HttpError } from "./errors";

/**
 * Who may call what. `unit`: appliances reporting their build. `station`: labeling, debug and
 * flashing stations (the only role that reads credentials). `operator`: dashboard and lists.
 * `admin`: everything except reading credentials.
 */
export type Role = "unit" | "station" | "operator" | "admin";
export const ROLES: readonly Role[] = ["unit", "station", "operator", "admin"];

export interface TokenConfig {
  /** Shown in logs and the audit log; never the secret. */
  name: string;
  role: Role;
  /** The bearer secret (at least 16 characters); or give only its `tokenSha256` (hex) so no config holds it. */
  token?: string;
  tokenSha256?: string;
}

export interface Caller {
  name: string;
  role: Role;
}

export interface TokenTable {
  verify(bearer: string): Caller | undefined;
}

const digest = (s: string): Buffer => hash("sha256", s, "buffer");

/** The hex sha256 of a token, for `tokenSha256` in configs. */
export const tokenSha256 = (token: string): string => digest(token).toString("hex");

/** Builds a constant-time token lookup; only digests of the secrets are kept in memory. */
export function createTokenTable(tokens: readonly TokenConfig[]): TokenTable {
  const entries = tokens.map((t) => {
    if (!ROLES.includes(t.role)) {
      throw createError(
        "server",
        ErrorCodes.CONFIG_INVALID,
        `Token "${t.name}" has unknown role "${t.role}"`,
      );
    }
    if (t.tokenSha256 !== undefined && /^[0-9a-f]{64}$/i.test(t.tokenSha256)) {
      return { name: t.name, role: t.role, hash: Buffer.from(t.tokenSha256, "hex") };
    }
    if (typeof t.token !== "string" || t.token.length < 16) {
      throw createError(
        "server",
        ErrorCodes.CONFIG_INVALID,
        `Token "${t.name}" needs a token of at least 16 characters or a tokenSha256`,
      );
    }
    return { name: t.name, role: t.role, hash: digest(t.token) };
  });
  return {
    verify(bearer) {
      const h = digest(bearer);
      let found: Caller | undefined;
      for (const e of entries) if (timingSafeEqual(e.hash, h)) found = { name: e.name, role: e.role };
      return found;
    },
  };
}

export type AuthEnv = { Variables: { caller: Caller } };

/**
 * Checks an `Authorization` header for a bearer token of one of `roles` and returns the caller.
 * Throws a 401 {@link HttpError} for a missing or unknown token (after calling `onUnknown`, the
 * brute-force brake) and a 403 for a known token of another role.
 */
export function authenticate(
  table: TokenTable,
  header: string | undefined,
  roles: readonly Role[],
  onUnknown?: () => void,
): Caller {
  const match = /^Bearer\s+(\S{1,512})$/i.exec(header ?? "");
  if (!match) {
    onUnknown?.();
    throw new HttpError(401, "UNAUTHORIZED", "Missing bearer token (Authorization: Bearer <token>)");
  }
  const caller = table.verify(match[1]!);
  if (!caller) {
    onUnknown?.();
    throw new HttpError(401, "UNAUTHORIZED", "Unknown token");
  }
  if (!roles.includes(caller.role)) {
    throw new HttpError(
      403,
      "FORBIDDEN",
      `Role ${caller.role} may not do this (needs ${roles.join(" or ")})`,
    );
  }
  return caller;
}

/** Requires a bearer token of one of `roles` and sets `caller` for the handlers after it. */
export function requireRole(
  table: TokenTable,
  roles: readonly Role[],
  onFailure?: (ip: string) => void,
): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const caller = authenticate(
      table,
      c.req.header("authorization"),
      roles,
      onFailure && (() => onFailure(clientIp(c.req.raw, c.env))),
    );
    c.set("caller", caller);
    await next();
  };
}

/** The peer address from @hono/node-server's bindings, else "local". */
export function clientIp(_req: Request, env: unknown): string {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? "local";
}
