import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit as bufferingBodyLimit } from "hono/body-limit";

/**
 * Refuses request bodies larger than `maxSize` bytes through `onError`. A body with a
 * Content-Length is judged by that header alone (Node's parser never delivers more than it
 * announces), so the request is not copied; only a chunked body is counted while it is read.
 */
export function bodySizeLimit(maxSize: number, onError: (c: Context) => never): MiddlewareHandler {
  const counting = bufferingBodyLimit({ maxSize, onError });
  return async (c, next) => {
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    if (!incoming?.headers) return counting(c, next);
    if (incoming.headers["transfer-encoding"] !== undefined) return counting(c, next);
    const length = incoming.headers["content-length"];
    if (length !== undefined && Number.parseInt(length, 10) > maxSize) onError(c);
    await next();
  };
}
