import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./errors";

const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** Refuses a request whose `Content-Type` is not JSON with 415 `UNSUPPORTED_MEDIA_TYPE`. */
export function requireJsonType(contentType: string | undefined): void {
  if (!JSON_TYPE.test(contentType ?? "")) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
}

/**
 * Parses a JSON body text and validates it: malformed JSON → 400 `MALFORMED_JSON`, schema
 * mismatch → 400 `INVALID_ARGUMENT` naming the first fields that are wrong.
 */
export function parseJsonBody<S extends z.ZodType>(text: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, "MALFORMED_JSON", "The body is not valid JSON");
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => ({ path: i.path.join("."), message: i.message }));
    const where = issues.map((i) => `${i.path || "(body)"}: ${i.message}`).join("; ");
    throw new HttpError(400, "INVALID_ARGUMENT", `Invalid request: ${where}`, { issues });
  }
  return parsed.data;
}

/**
 * Reads a JSON body (the size limit is enforced before, by middleware) and validates it.
 * Wrong content type → 415, unreadable body → 400 `MALFORMED_BODY`, then {@link parseJsonBody}.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  requireJsonType(c.req.header("content-type"));
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new HttpError(400, "MALFORMED_BODY", "The request body could not be read");
  }
  return parseJsonBody(text, schema);
}
