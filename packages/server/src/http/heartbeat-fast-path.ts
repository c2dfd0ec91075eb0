import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { HttpStats } from "../prometheus";
import type { Admission } from "./admission";
import { authenticate } from "./auth";
import { parseJsonBody, requireJsonType } from "./body";
import type { AppDeps } from "./deps";
import { errorAnswer, HttpError } from "./errors";
import { acceptHeartbeat, HEARTBEAT_ROLES } from "./heartbeat";
import { heartbeatBody } from "./schemas";

const ROUTE = "/api/heartbeat";

export interface HeartbeatFastPathOptions {
  deps: AppDeps;
  admission: Admission;
  bodyLimitBytes: number;
  stats: HttpStats;
}

/** A request handler on Node's own request and response objects. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** 413 for a body larger than `limit` bytes. */
export const payloadTooLarge = (limit: number) =>
  new HttpError(413, "PAYLOAD_TOO_LARGE", `The body is larger than ${limit} bytes`);

/**
 * `POST /api/heartbeat` on Node's request and response, without the Hono adapter: the hot
 * path of a line of units (thousands a second). It runs the same steps, with the same code, in
 * the same order as the Hono route and its middleware: per-client request and failed-login
 * limits (429), body size (413, from Content-Length before reading, else counted while
 * reading), bearer token and role (401/403), JSON content type (415), JSON and schema (400),
 * then {@link acceptHeartbeat}; answers 200 only once the heartbeat is committed, and counts
 * every answer in the Prometheus request metrics under the route `/api/heartbeat`.
 */
export function createHeartbeatFastPath(o: HeartbeatFastPathOptions): NodeHandler {
  const { deps: d, admission, stats, bodyLimitBytes: limit } = o;
  const answer = (
    res: ServerResponse,
    started: number,
    status: number,
    body: unknown,
    retryAfter?: number,
  ) => {
    try {
      const text = JSON.stringify(body);
      const headers: OutgoingHttpHeaders = {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
      };
      if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
      res.writeHead(status, headers);
      res.end(text);
      stats.observe(ROUTE, "POST", status, (performance.now() - started) / 1000);
    } catch (error) {
      // Nothing may escape into Node's event handlers: drop the connection and say why.
      d.logger.error("heartbeat answer failed", { error: (error as Error).message });
      res.destroy();
    }
  };
  const fail = (res: ServerResponse, started: number, error: unknown, retryAfter?: number) => {
    const { status, body } = errorAnswer(error, d.logger, ROUTE);
    answer(res, started, status, body, retryAfter);
  };

  return (req, res) => {
    const started = performance.now();
    const ip = req.socket.remoteAddress ?? "local";
    const h = req.headers;
    const refused = admission.check(ip, Boolean(h.authorization));
    if (refused) return fail(res, started, refused.error, refused.retryAfter);
    const length = h["content-length"];
    if (h["transfer-encoding"] === undefined && length !== undefined && Number.parseInt(length, 10) > limit)
      return fail(res, started, payloadTooLarge(limit));
    try {
      authenticate(d.tokens, h.authorization, HEARTBEAT_ROLES, () => d.onAuthFailure(ip));
      requireJsonType(h["content-type"]);
    } catch (error) {
      return fail(res, started, error);
    }
    readBody(req, limit, (error, text) => {
      if (error) return fail(res, started, error);
      let body: ReturnType<typeof parseJsonBody<typeof heartbeatBody>>;
      try {
        body = parseJsonBody(text!, heartbeatBody);
      } catch (e) {
        return fail(res, started, e);
      }
      acceptHeartbeat(d, body, ip).then(
        (ok) => answer(res, started, 200, ok),
        (e: unknown) => fail(res, started, e),
      );
    });
  };
}

/**
 * Reads a request body as UTF-8 text (a leading byte order mark dropped, as `Request.text()`
 * does); calls `done` once: with the text, with 413 as soon as more than `limit` bytes arrived,
 * or with 400 `MALFORMED_BODY` when the body could not be read.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  done: (error: HttpError | undefined, text?: string) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (error: HttpError | undefined, text?: string) => {
    if (settled) return;
    settled = true;
    chunks.length = 0;
    done(error, text);
  };
  req.on("data", (chunk: Buffer) => {
    if (settled) return;
    size += chunk.length;
    if (size > limit) settle(payloadTooLarge(limit));
    else chunks.push(chunk);
  });
  req.on("end", () => {
    if (settled) return;
    const text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString("utf8");
    settle(undefined, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  });
  req.on("error", () => settle(new HttpError(400, "MALFORMED_BODY", "The request body could not be read")));
}
