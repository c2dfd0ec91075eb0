import { type SignalOptions, withDeadline } from "../abort";
import type { Unit, UnitStatus } from "../contracts/unit-store";
import { createError, ErrorCodes } from "../errors";
import { normalizeMac } from "../mac";
import type { LabelBackend } from "./types";

const PKG = "core/label-http";

export interface HttpLabelBackendOptions {
  /** The production server, e.g. `http://192.168.100.250:8080`. */
  url: string;
  /** A token of the `station` role (the only role that reads credentials). Never logged. */
  token: string;
  /** Bound for one request, ms (default 10 000). */
  timeoutMs?: number;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: typeof fetch;
}

interface UnitJson {
  mac_wan: string;
  serial?: string;
  status: UnitStatus;
  stage?: string;
  port?: string;
  reprints?: number;
  has_credentials?: boolean;
  created_at?: string;
  updated_at?: string;
  labeled_at?: string;
  admin_password?: string;
  services_password?: string;
}

/**
 * A {@link LabelBackend} that talks to the production server's API with a station token, for a
 * labeling station on another host than the server: `GET /api/units/{mac}` (the record and, for
 * a `ready` unit, its passwords), `POST /api/units/{mac}/label-prints`,
 * `DELETE /api/units/{mac}` (destroys the credentials), `POST /api/units/{mac}/label-rejections`.
 * Every call is bounded; failures reject with coded errors (`UNAUTHORIZED`, `NOT_FOUND`,
 * `STORE_ERROR` for a server that cannot answer, `TIMEOUT`, `ABORTED`).
 *
 * @example
 * const backend = createHttpLabelBackend({ url: "http://192.168.100.250:8080", token: process.env.STATION_TOKEN! });
 */
export function createHttpLabelBackend(options: HttpLabelBackendOptions): LabelBackend {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch (cause) {
    throw createError(PKG, ErrorCodes.CONFIG_INVALID, `"${options.url}" is not a server URL`, { cause });
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw createError(
      PKG,
      ErrorCodes.CONFIG_INVALID,
      `The server URL must be http or https, not ${base.protocol}`,
    );
  }
  if (typeof options.token !== "string" || options.token.length < 16) {
    throw createError(
      PKG,
      ErrorCodes.CONFIG_INVALID,
      "The labeling station needs a station token (16+ characters)",
    );
  }
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const root = base.href.replace(/\/+$/, "");

  async function call(
    method: string,
    mac: string,
    suffix: string,
    what: string,
    opts: SignalOptions | undefined,
  ): Promise<{ status: number; body: unknown }> {
    const key = encodeURIComponent(normalizeMac(mac));
    return withDeadline(
      what,
      { signal: opts?.signal, timeoutMs },
      async (signal) => {
        let res: Response;
        try {
          res = await doFetch(`${root}/api/units/${key}${suffix}`, {
            method,
            headers: { authorization: `Bearer ${options.token}`, accept: "application/json" },
            signal,
          });
        } catch (cause) {
          if (signal.aborted) throw cause;
          throw createError(
            PKG,
            ErrorCodes.STORE_ERROR,
            `${what}: the server at ${base.host} does not answer`,
            {
              cause,
              retryable: true,
            },
          );
        }
        const text = await res.text();
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        return { status: res.status, body };
      },
      PKG,
    );
  }

  function fail(what: string, status: number, body: unknown): never {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code =
      status === 401
        ? "UNAUTHORIZED"
        : status === 403
          ? "FORBIDDEN"
          : status === 404
            ? ErrorCodes.NOT_FOUND
            : status === 409
              ? (error?.code ?? ErrorCodes.CONFLICT)
              : status >= 500
                ? ErrorCodes.STORE_ERROR
                : (error?.code ?? ErrorCodes.INVALID_ARGUMENT);
    throw createError(
      PKG,
      code,
      `${what}: the server answered ${status}${error?.message ? ` (${error.message})` : ""}`,
      {
        details: { status },
        retryable: status >= 500,
      },
    );
  }

  return {
    async fetch(mac, opts) {
      const what = "Fetching the unit record";
      const { status, body } = await call("GET", mac, "", what, opts);
      if (status === 404) return undefined;
      if (status !== 200) fail(what, status, body);
      const j = body as UnitJson;
      const unit = toUnit(j);
      const credentials =
        typeof j.admin_password === "string" && typeof j.services_password === "string"
          ? { adminPassword: j.admin_password, servicesPassword: j.services_password }
          : undefined;
      return credentials ? { unit, credentials } : { unit };
    },
    async printed(mac, _receipt, opts) {
      const what = "Recording the print";
      const { status, body } = await call("POST", mac, "/label-prints", what, opts);
      if (status !== 200) fail(what, status, body);
    },
    async confirm(mac, opts) {
      const what = "Deleting the credentials";
      const { status, body } = await call("DELETE", mac, "", what, opts);
      if (status !== 204) fail(what, status, body);
    },
    async reject(mac, opts) {
      const what = "Recording the misprint";
      const { status, body } = await call("POST", mac, "/label-rejections", what, opts);
      if (status !== 200 && status !== 204) fail(what, status, body);
    },
  };
}

function toUnit(j: UnitJson): Unit {
  const date = (s: string | undefined) => (s ? new Date(s) : undefined);
  if (typeof j?.mac_wan !== "string" || typeof j.status !== "string") {
    throw createError(PKG, ErrorCodes.PROTOCOL_ERROR, "The server's unit record has no MAC or status");
  }
  const labeledAt = date(j.labeled_at);
  return {
    mac: j.mac_wan,
    status: j.status,
    ...(j.serial !== undefined && { serial: j.serial }),
    ...(j.stage !== undefined && { stage: j.stage }),
    ...(j.port !== undefined && { port: j.port }),
    createdAt: date(j.created_at) ?? new Date(0),
    updatedAt: date(j.updated_at) ?? new Date(0),
    ...(labeledAt && { labeledAt }),
    reprints: j.reprints ?? 0,
    hasCredentials: j.has_credentials === true,
  };
}
