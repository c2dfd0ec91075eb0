/**
 * JSON with object keys sorted at every depth, so equal content always gives equal text (the
 * base of the stores' idempotency fingerprints). Dates become ISO strings, as in `JSON.stringify`.
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}
