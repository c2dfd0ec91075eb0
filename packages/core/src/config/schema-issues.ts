import { z } from "zod";
import { closestMatch } from "./did-you-mean";
import { type ConfigIssue, type ConfigPath, describeValue, formatPath } from "./issues";
import { factoryConfigSchema, type ParsedConfigFile } from "./schema";
import type { ConfigSource } from "./yaml-source";

type Locate = ConfigSource["locate"];

/** Keys that hold secrets. Their values never belong in a config file, only the name of an env var. */
const SECRET_KEY =
  /^(?:.*[_-])?(?:password|passwd|pass|secret|token|api[_-]?key|private[_-]?key|credentials?|authorization|cookie)$/i;

/** Likely intents for keys that are far from any valid key by spelling. */
const HINTS: Readonly<Record<string, string>> = {
  firmware: 'the firmware_path image is the "app" region',
  partitions: 'use "partition_table"',
  partition: 'use "partition_table"',
  baudrate: 'put it under settings as "baud"',
  baud: 'put it under settings as "baud"',
  port: 'use "ports", a list',
  id: 'use "station_id"',
};

/**
 * Validates plain data against the schema and turns every zod issue into a located
 * {@link ConfigIssue}. Returns the parsed data only when there were no issues.
 */
export function validateSchema(data: unknown, file: string, locate: Locate): SchemaResult {
  const issues: ConfigIssue[] = [];
  const found: FoundProblem[] = [];
  const at = (path: ConfigPath, message: string, key = false, code?: string, suggestion?: string): void => {
    const pos = locate(path, { key });
    found.push({ path, ...(code && { code }), ...(suggestion && { suggestion }) });
    issues.push({ file, ...pos, path: formatPath(path), message, ...(code ? { code } : {}) });
  };

  findSecrets(data, [], (path) =>
    at(
      path,
      `looks like a secret; secrets do not belong in the config file: put it in an environment variable and give that variable's name${secretHint(path)}`,
      true,
      "SECRET_IN_CONFIG",
    ),
  );

  const result = factoryConfigSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) mapIssue(issue, [], data, at);
  }
  // A misspelt key that suggests a missing required one explains it: report the typo only.
  const explained = new Set(
    found
      .filter((f) => f.suggestion !== undefined)
      .map((f) => formatPath([...f.path.slice(0, -1), f.suggestion!])),
  );
  const keep = found.map((f) => !(f.code === "MISSING_KEY" && explained.has(formatPath(f.path))));
  const kept = { issues: issues.filter((_, i) => keep[i]), found };
  return result.success && issues.length === 0 ? { parsed: result.data, ...kept } : kept;
}

/** Where a problem is, for recovery: a misspelt key's likely intent is in `suggestion`. */
export interface FoundProblem {
  path: ConfigPath;
  code?: string;
  suggestion?: string;
}

export interface SchemaResult {
  parsed?: ParsedConfigFile;
  issues: ConfigIssue[];
  found: FoundProblem[];
}

type At = (path: ConfigPath, message: string, key?: boolean, code?: string, suggestion?: string) => void;

function mapIssue(issue: z.core.$ZodIssue, prefix: ConfigPath, data: unknown, at: At): void {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(path);
      for (const key of issue.keys) {
        if (SECRET_KEY.test(key)) continue; // reported by findSecrets
        const hint = HINTS[key.toLowerCase()];
        const match = closestMatch(key, known);
        const suggestion = match !== undefined ? ` (did you mean "${match}"?)` : hint ? ` (${hint})` : "";
        const allowed = known.length > 0 ? `; expected one of: ${known.join(", ")}` : "";
        at(
          [...path, key],
          `unknown key "${key}"${suggestion}${suggestion ? "" : allowed}`,
          true,
          "UNKNOWN_KEY",
          match,
        );
      }
      return;
    }
    case "invalid_union": {
      // A branch whose problems are all below the top level matched the shape: report its problems.
      const deep = issue.errors.filter((branch) =>
        branch.every((inner) => inner.path.length > 0 || inner.code === "unrecognized_keys"),
      );
      if (deep.length === 1) {
        for (const inner of deep[0]!) mapIssue(inner, path, data, at);
        return;
      }
      at(path, `${issue.message}, found ${describeValue(valueAt(data, path))}`);
      return;
    }
    default: {
      if (issue.code === "invalid_type" && isMissing(data, path)) {
        at(path, `required key is missing (${issue.message})`, true, "MISSING_KEY");
        return;
      }
      if (issue.code === "custom" && /, found /.test(issue.message)) {
        at(path, issue.message);
        return;
      }
      const value = valueAt(data, path);
      const shown = SECRET_KEY.test(String(path[path.length - 1] ?? "")) ? "a value" : describeValue(value);
      at(path, `${issue.message}, found ${shown}`);
    }
  }
}

function secretHint(path: ConfigPath): string {
  const key = String(path[path.length - 1]);
  return path[0] === "registration" ? ' as "token_env"' : ` as "${key}_env"`;
}

function findSecrets(value: unknown, path: ConfigPath, report: (path: ConfigPath) => void): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      findSecrets(item, [...path, i], report);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) report([...path, key]);
      else findSecrets(inner, [...path, key], report);
    }
  }
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  let node = data;
  for (const segment of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function isMissing(data: unknown, path: ConfigPath): boolean {
  if (path.length === 0) return data === undefined;
  const parent = valueAt(data, path.slice(0, -1));
  return parent !== null && typeof parent === "object" && !Object.hasOwn(parent, path[path.length - 1]!);
}

/** The keys the schema allows at `path` (for did-you-mean). */
function knownKeys(path: ConfigPath): string[] {
  let schema: unknown = factoryConfigSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) schema = (schema.shape as Record<string, unknown>)[String(segment)];
    else if (schema instanceof z.ZodArray) schema = schema.element;
    else if (schema instanceof z.ZodRecord) schema = schema._zod.def.valueType;
    else return [];
  }
  schema = unwrap(schema);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape as object) : [];
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 8; i++) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap();
    else if (current instanceof z.ZodUnion) {
      current = (current.options as unknown[]).find((o) => o instanceof z.ZodObject) ?? current;
      if (!(current instanceof z.ZodObject)) return current;
    } else return current;
  }
  return current;
}
