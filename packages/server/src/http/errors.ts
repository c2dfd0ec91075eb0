import { ErrorCodes, isFactoryError, type Logger, toFactoryError } from "@factory/core";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error answered as `{ error: { code, message, details } }` with an HTTP status. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const STATUS: Record<string, ContentfulStatusCode> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.CONFLICT]: 409,
  [ErrorCodes.INVALID_TRANSITION]: 409,
  [ErrorCodes.ABORTED]: 503,
  [ErrorCodes.TIMEOUT]: 503,
  [ErrorCodes.STORE_ERROR]: 503,
};

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details && Object.keys(details).length > 0 && { details }) } };
}

/** Maps anything thrown in a handler to a JSON answer; 5xx bodies never echo internals. */
export function respondError(c: Context, error: unknown, log: Logger): Response {
  if (error instanceof HttpError)
    return c.json(errorBody(error.code, error.message, error.details), error.status);
  if (isFactoryError(error)) {
    const status = STATUS[error.code];
    if (status !== undefined && status < 500)
      return c.json(errorBody(error.code, error.message, error.details), status);
    log.error("request failed", { code: error.code, error: error.message, path: c.req.path });
    return c.json(
      errorBody(error.code, "The server could not complete the request; try again"),
      status ?? 500,
    );
  }
  const e = toFactoryError(error, "server");
  log.error("request failed", { code: e.code, error: e.message, path: c.req.path });
  return c.json(errorBody(ErrorCodes.INTERNAL, "Internal server error"), 500);
}
