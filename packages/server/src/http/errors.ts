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

/**
 * The status and JSON body answering anything thrown while handling a request; 5xx bodies never
 * echo internals (the error is logged instead, with `path`).
 */
export function errorAnswer(
  error: unknown,
  log: Logger,
  path: string,
): { status: ContentfulStatusCode; body: ReturnType<typeof errorBody> } {
  if (error instanceof HttpError)
    return { status: error.status, body: errorBody(error.code, error.message, error.details) };
  if (isFactoryError(error)) {
    const status = STATUS[error.code];
    if (status !== undefined && status < 500)
      return { status, body: errorBody(error.code, error.message, error.details) };
    log.error("request failed", { code: error.code, error: error.message, path });
    return {
      status: status ?? 500,
      body: errorBody(error.code, "The server could not complete the request; try again"),
    };
  }
  const e = toFactoryError(error, "server");
  log.error("request failed", { code: e.code, error: e.message, path });
  return { status: 500, body: errorBody(ErrorCodes.INTERNAL, "Internal server error") };
}

/** Maps anything thrown in a handler to a JSON answer ({@link errorAnswer}). */
export function respondError(c: Context, error: unknown, log: Logger): Response {
  const { status, body } = errorAnswer(error, log, c.req.path);
  return c.json(body, status);
}
