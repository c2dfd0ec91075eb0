import { createError, ErrorCodes, type FactoryError } from "../errors";

/** A key path inside a config document: `["stations", 0, "ports", 1]`. */
export type ConfigPath = readonly (string | number)[];

/**
 * One problem found in a config file. `details.issues` of a `CONFIG_INVALID` error is a list of
 * these; every problem of the file is reported, not only the first.
 */
export interface ConfigIssue {
  /** The config file as the caller named it (`<inline>` for in-memory configs). */
  file: string;
  /** 1-based line and column of the offending key or value; absent for configs that are not text. */
  line?: number;
  column?: number;
  /** Dotted key path: `board_configs.esp32.firmware_path`, `stations[0].ports[1]`. */
  path: string;
  /** What was expected and what was found. */
  message: string;
  /** A finer code where one applies: `FILE_NOT_FOUND`, `DRIVER_NOT_INSTALLED`, `YAML_SYNTAX`. */
  code?: string;
}

/** `stations[0].ports[1]`; the empty path is `(root)`. */
export function formatPath(path: ConfigPath): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[\w-]+$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || "(root)";
}

/** `factory-config.yaml:12:5 board_configs.esp32.flash_size: expected …` */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return `${where} ${issue.path}: ${issue.message}`;
}

/** Orders issues by position so the report reads top to bottom. */
export function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/** The `CONFIG_INVALID` error carrying every issue, one per line in the message. */
export function configInvalidError(file: string, issues: ConfigIssue[]): FactoryError {
  const sorted = sortIssues(issues);
  const count = sorted.length === 1 ? "1 problem" : `${sorted.length} problems`;
  const lines = sorted.map((issue) => `  ${formatIssue(issue)}`).join("\n");
  return createError("core", ErrorCodes.CONFIG_INVALID, `${file} has ${count}:\n${lines}`, {
    details: { file, issues: sorted },
    retryable: false,
  });
}

/** Describes a found value for "…, found X" without dumping whole objects. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 37)}...` : value;
    return `the text ${JSON.stringify(shown)}`;
  }
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "a mapping";
  return typeof value;
}
