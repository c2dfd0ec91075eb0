/**
 * Libraries never print. They take a {@link Logger} (no-op by default) and emit events; only CLIs
 * and the server decide where lines go.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, unknown>;

/** A structured logger. Implementations must not throw. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ port: "/dev/ttyUSB0" }`). */
  child(fields: LogFields): Logger;
}

const noop = (): void => {};

/** The default logger: drops everything. */
export const noopLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};

/** Field names whose values are secrets and are replaced by `[redacted]` before logging. */
const SECRET_KEY = /pass(word)?|secret|token|credential|private.?key|authorization|cookie/i;

/**
 * Returns a copy of `fields` with every secret-looking value replaced, at any depth.
 * Every logger the SDK ships runs its fields through this; custom loggers should too.
 */
export function redactSecrets<T>(fields: T, depth = 0): T {
  if (depth > 8 || fields === null || typeof fields !== "object") return fields;
  if (Array.isArray(fields)) return fields.map((v) => redactSecrets(v, depth + 1)) as T;
  if (fields instanceof Date || fields instanceof Uint8Array) return fields;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) && value != null ? "[redacted]" : redactSecrets(value, depth + 1);
  }
  return out as T;
}

/** A sink for finished log records, used by {@link createLogger}. */
export type LogSink = (record: { level: LogLevel; message: string; fields: LogFields; time: Date }) => void;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * Builds a logger that redacts secrets and passes records at or above `level` to `sink`.
 *
 * @example
 * const log = createLogger({ level: "info", sink: (r) => process.stderr.write(`${r.message}\n`) });
 */
export function createLogger(options: { level?: LogLevel; sink: LogSink; fields?: LogFields }): Logger {
  const min = LEVELS[options.level ?? "info"];
  const base = options.fields ?? {};
  const emit =
    (level: LogLevel) =>
    (message: string, fields?: LogFields): void => {
      if (LEVELS[level] < min) return;
      try {
        options.sink({ level, message, fields: redactSecrets({ ...base, ...fields }), time: new Date() });
      } catch {
        // A logger must never break the operation it describes.
      }
    };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}
