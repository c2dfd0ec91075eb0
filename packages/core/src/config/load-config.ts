import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { throwIfAborted } from "../abort";
import { createError, ErrorCodes, isFactoryError } from "../errors";
import { type CheckOptions, checkConfig } from "./checks";
import { type ConfigIssue, type ConfigPath, configInvalidError, formatPath } from "./issues";
import { normalizeConfig } from "./normalize";
import { type FoundProblem, validateSchema } from "./schema-issues";
import type { FactoryConfig, FactoryConfigInput } from "./types";
import { type ConfigSource, parseYamlSource } from "./yaml-source";

export interface ParseConfigOptions extends CheckOptions {
  /** Name used in messages and issues; `<inline>` by default. */
  file?: string;
  /** Directory relative paths resolve against; the working directory by default. */
  baseDir?: string;
}

export interface LoadConfigOptions extends CheckOptions {
  /** Directory a relative `file` is taken from; the working directory by default. */
  cwd?: string;
}

/** File names `findConfigFile` looks for, in order. */
export const CONFIG_FILE_NAMES = [
  "factory-config.yaml",
  "factory-config.yml",
  "factory.config.ts",
  "factory.config.mjs",
  "factory.config.js",
] as const;

/**
 * Typed identity for a `factory.config.ts`: the same keys as the YAML file, checked by the
 * TypeScript compiler while you type, and validated like the YAML when loaded.
 *
 * @example
 * // factory.config.ts
 * import { defineConfig } from "@factory/core";
 * export default defineConfig({
 *   stations: [{ station_id: "station_1", ports: ["/dev/ttyUSB0"], board_type: "esp32" }],
 *   board_configs: { esp32: { platform: "esp32", firmware_path: "./dist/firmware.bin" } },
 * });
 */
export function defineConfig(config: FactoryConfigInput): FactoryConfigInput {
  return config;
}

/**
 * Validates YAML text and returns the normalized config. Rejects with `CONFIG_INVALID` whose
 * `details.issues` lists every problem with its line and column; nothing is touched on the way.
 *
 * @example
 * const config = await parseConfig(yamlText, { file: "factory-config.yaml", baseDir: "/srv/line" });
 */
export async function parseConfig(text: string, options: ParseConfigOptions = {}): Promise<FactoryConfig> {
  const file = options.file ?? "<inline>";
  const source = parseYamlSource(text, file);
  if (source.syntaxIssues.length > 0) throw configInvalidError(file, source.syntaxIssues);
  const data = source.data ?? {};
  return finish(data, source, file, path.resolve(options.baseDir ?? process.cwd()), undefined, options);
}

/**
 * Validates a config object (e.g. one made with {@link defineConfig}); the same checks as
 * {@link parseConfig}, without line numbers.
 */
export async function validateConfig(
  input: unknown,
  options: ParseConfigOptions = {},
): Promise<FactoryConfig> {
  const file = options.file ?? "<inline>";
  return finish(input, undefined, file, path.resolve(options.baseDir ?? process.cwd()), undefined, options);
}

/**
 * Loads `factory-config.yaml` (or a `factory.config.ts` / `.mjs` / `.js` whose default export is
 * the config). Relative paths inside resolve against the file's directory.
 *
 * Rejects with `CONFIG_NOT_FOUND` when the file is missing and `CONFIG_INVALID` (every issue in
 * `details.issues`) when it is wrong.
 */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<FactoryConfig> {
  throwIfAborted(options.signal);
  const absolute = path.resolve(options.cwd ?? process.cwd(), file);
  const baseDir = path.dirname(absolute);
  if (/\.(ts|mts|mjs|js)$/.test(absolute)) {
    const input = await importConfigModule(file, absolute);
    return finish(input, undefined, file, baseDir, absolute, options);
  }
  let text: string;
  try {
    text = await readFile(absolute, { encoding: "utf8", ...(options.signal && { signal: options.signal }) });
  } catch (error) {
    throwIfAborted(options.signal);
    throw notFound(file, absolute, error);
  }
  const source = parseYamlSource(text, file);
  if (source.syntaxIssues.length > 0) throw configInvalidError(file, source.syntaxIssues);
  return finish(source.data ?? {}, source, file, baseDir, absolute, options);
}

/** The first of {@link CONFIG_FILE_NAMES} present in `dir`, or undefined. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = path.join(dir, name);
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return candidate;
  }
  return undefined;
}

async function finish(
  data: unknown,
  source: ConfigSource | undefined,
  file: string,
  baseDir: string,
  absolute: string | undefined,
  options: CheckOptions,
): Promise<FactoryConfig> {
  const locate: ConfigSource["locate"] = source ? source.locate : () => undefined;
  const first = validateSchema(data, file, locate);
  let parsed = first.parsed;
  // When the file has schema problems, drop the offending values and check the rest too, so one
  // run reports every problem (a typo and a missing firmware file), not the first kind only.
  let pruned: ConfigPath[] = first.found.map((p) => p.path);
  if (!parsed) parsed = validateSchema(recover(data, first.found, false), file, locate).parsed;
  if (!parsed) {
    pruned = first.found.map((p) => p.path.slice(0, 2));
    parsed = validateSchema(recover(data, first.found, true), file, locate).parsed;
  }
  if (!parsed) throw configInvalidError(file, first.issues);

  const { config, issues: pending } = normalizeConfig(parsed, {
    baseDir,
    ...(absolute && { file: absolute }),
  });
  const explicit = new Set(
    Object.entries(parsed.board_configs ?? {})
      .filter(([, board]) => board.driver !== undefined)
      .map(([name]) => name),
  );
  pending.push(...(await checkConfig(config, options, explicit)));
  throwIfAborted(options.signal);
  // Problems inside a pruned section could be echoes of the schema problem there.
  const fresh = pending.filter(
    (issue) =>
      !pruned.some(
        (prefix) =>
          startsWith(issue.path, prefix) ||
          (issue.refersTo !== undefined && startsWith(issue.refersTo, prefix)),
      ),
  );
  if (first.issues.length > 0 || fresh.length > 0) {
    const located: ConfigIssue[] = fresh.map((issue) => ({
      file,
      ...locate(issue.path, { key: issue.key === true }),
      path: formatPath(issue.path),
      message: issue.message,
      ...(issue.code && { code: issue.code }),
    }));
    throw configInvalidError(file, [...first.issues, ...located]);
  }
  return config;
}

/**
 * A copy of `data` the schema may accept: misspelt keys renamed to their likely intent, other
 * offending values removed, and (`whole`) whole sections with problems removed where that
 * leaves the list indices of the rest unchanged.
 */
function recover(data: unknown, found: readonly FoundProblem[], whole: boolean): unknown {
  const copy = structuredClone(data);
  const parentOf = (p: ConfigPath): Record<string | number, unknown> | undefined => {
    let node: unknown = copy;
    for (const segment of p.slice(0, -1)) {
      node =
        node !== null && typeof node === "object"
          ? (node as Record<string | number, unknown>)[segment]
          : undefined;
    }
    return node !== null && typeof node === "object" ? (node as Record<string | number, unknown>) : undefined;
  };
  for (const problem of found) {
    const parent = parentOf(problem.path);
    const key = problem.path[problem.path.length - 1];
    if (!parent || key === undefined || Array.isArray(parent) || problem.code === "MISSING_KEY") continue;
    if (problem.suggestion !== undefined && !Object.hasOwn(parent, problem.suggestion)) {
      parent[problem.suggestion] = parent[key];
    }
    delete parent[key];
  }
  if (whole) {
    for (const problem of found) {
      const section = problem.path.slice(0, 2);
      const parent = parentOf(section);
      if (parent && !Array.isArray(parent) && section.length === 2) delete parent[section[1]!];
    }
  }
  return copy;
}

function startsWith(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}

async function importConfigModule(file: string, absolute: string): Promise<unknown> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((error as Error).message).includes(absolute)) {
      throw notFound(file, absolute, error);
    }
    const hint =
      code === "ERR_UNKNOWN_FILE_EXTENSION"
        ? "; a .ts config needs a TypeScript loader (run through tsx, or use factory.config.mjs)"
        : "";
    throw createError(
      "core",
      ErrorCodes.CONFIG_INVALID,
      `${file} failed to load: ${(error as Error).message}${hint}`,
      {
        cause: error,
        details: { file, issues: [{ file, path: "(root)", message: `failed to load${hint}` }] },
        retryable: false,
      },
    );
  }
  const value = typeof mod.default === "function" ? await (mod.default as () => unknown)() : mod.default;
  if (value === undefined) {
    throw configInvalidError(file, [
      {
        file,
        path: "(root)",
        message: "expected a default export holding the config (export default defineConfig({ … }))",
      },
    ]);
  }
  return value;
}

function notFound(file: string, absolute: string, cause: unknown): Error {
  if (isFactoryError(cause)) return cause;
  return createError("core", ErrorCodes.CONFIG_NOT_FOUND, `config file not found: ${absolute}`, {
    cause,
    details: { file, path: absolute },
    retryable: false,
  });
}
