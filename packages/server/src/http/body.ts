import type { Context } from "hono";
import type { z } from "zod";
import { HttpError } from "./errors";

/**
 * Reads a JSON body (the size limit is enforced before, by middleware) and validates it.
 * Wrong content type → 415, malformed JSON → 400 `MALFORMED_JSON`, schema mismatch → 400
 * `INVALID_ARGUMENT` naming the first fields that are wrong.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json");
  }
  let text: string;
  try {
    text = await c.req.text();
  } catch {
    throw new HttpError(400, "MALFORMED_BODY", "The request body could not be read");
  }
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
