/**
 * One error type for every package of @factory.
 *
 * Errors cross package boundaries, and a plant may end up with two copies of `@factory/core`
 * installed. So nothing tests errors with `instanceof`: an error is recognised by a brand
 * (`Symbol.for("factory.error")`) and told apart by its stable `code`.
 */

const BRAND = Symbol.for("factory.error");

/** Fields carried by every error the SDK raises. */
export interface FactoryErrorOptions {
  /** The underlying error (serial port failure, HTTP response, parse error…). */
  cause?: unknown;
  /** Machine-readable details: port, offset, expected and actual values, the failing command. */
  details?: Record<string, unknown>;
  /** Whether retrying the same step may succeed. Defaults from the code's catalogue entry. */
  retryable?: boolean;
}

/**
 * The error base. `code` is a stable SCREAMING_SNAKE string; `message` is written for a plant
 * technician and starts with the package in brackets, e.g. `[driver-esp] No answer to SYNC on /dev/ttyUSB3`.
 */
export class FactoryError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  readonly retryable: boolean;
  readonly [BRAND] = true;

  constructor(code: string, message: string, options: FactoryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "FactoryError";
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/**
 * Creates a coded error whose message is prefixed with the package name.
 *
 * @example
 * throw createError("driver-esp", "SYNC_FAILED", `No answer to SYNC on ${port}`, { details: { port } });
 */
export function createError(
  pkg: string,
  code: string,
  message: string,
  options?: FactoryErrorOptions,
): FactoryError {
  return new FactoryError(code, `[${pkg}] ${message}`, options);
}

/** True for an error raised by any copy of @factory/core, optionally with the given code(s). */
export function isFactoryError(value: unknown, code?: string | readonly string[]): value is FactoryError {
  if (typeof value !== "object" || value === null) return false;
  if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
  if (code === undefined) return true;
  const actual = (value as FactoryError).code;
  return typeof code === "string" ? actual === code : code.includes(actual);
}

/**
 * Turns anything thrown into a FactoryError: coded errors pass through, aborts become `ABORTED`,
 * the rest `INTERNAL` with the original as `cause`.
 */
export function toFactoryError(value: unknown, pkg = "core"): FactoryError {
  if (isFactoryError(value)) return value;
  if (isAbortError(value)) {
    return createError(pkg, ErrorCodes.ABORTED, "The operation was cancelled", { cause: value });
  }
  const message = value instanceof Error ? value.message : String(value);
  return createError(pkg, ErrorCodes.INTERNAL, message, { cause: value });
}

/** True for a DOM AbortError / TimeoutError or a FactoryError with code ABORTED or TIMEOUT. */
export function isAbortError(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const name = (value as { name?: unknown }).name;
  if (name === "AbortError") return true;
  return isFactoryError(value, ErrorCodes.ABORTED);
}

/**
 * The catalogue of codes shared by all packages. Drivers may add their own codes; these are the
 * ones the pipeline and the retry policy know about. Codes are stable once published.
 */
export const ErrorCodes = {
  // generic
  INTERNAL: "INTERNAL",
  ABORTED: "ABORTED",
  TIMEOUT: "TIMEOUT",
  NOT_SUPPORTED: "NOT_SUPPORTED",
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  // config and plugins
  CONFIG_INVALID: "CONFIG_INVALID",
  CONFIG_NOT_FOUND: "CONFIG_NOT_FOUND",
  FILE_NOT_FOUND: "FILE_NOT_FOUND",
  DRIVER_NOT_INSTALLED: "DRIVER_NOT_INSTALLED",
  DRIVER_INVALID: "DRIVER_INVALID",
  // ports and devices
  PORT_NOT_FOUND: "PORT_NOT_FOUND",
  PORT_BUSY: "PORT_BUSY",
  PORT_DISCONNECTED: "PORT_DISCONNECTED",
  NO_DEVICE: "NO_DEVICE",
  SYNC_FAILED: "SYNC_FAILED",
  PROTOCOL_ERROR: "PROTOCOL_ERROR",
  DEVICE_MISMATCH: "DEVICE_MISMATCH",
  DUPLICATE_IDENTITY: "DUPLICATE_IDENTITY",
  READ_PROTECTED: "READ_PROTECTED",
  // images and plans
  IMAGE_INVALID: "IMAGE_INVALID",
  PLAN_INVALID: "PLAN_INVALID",
  IMAGE_TOO_LARGE: "IMAGE_TOO_LARGE",
  // flashing
  FLASH_FAILED: "FLASH_FAILED",
  VERIFY_FAILED: "VERIFY_FAILED",
  // tests and gates
  CONSOLE_TIMEOUT: "CONSOLE_TIMEOUT",
  TEST_FAILED: "TEST_FAILED",
  GATE_FAILED: "GATE_FAILED",
  // registration, records, stores
  REGISTRATION_FAILED: "REGISTRATION_FAILED",
  RECORD_FAILED: "RECORD_FAILED",
  STORE_ERROR: "STORE_ERROR",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  INVALID_TRANSITION: "INVALID_TRANSITION",
  // switches
  SWITCH_UNREACHABLE: "SWITCH_UNREACHABLE",
  SWITCH_AUTH_FAILED: "SWITCH_AUTH_FAILED",
  SWITCH_UNSUPPORTED: "SWITCH_UNSUPPORTED",
  // printers
  PRINTER_OFFLINE: "PRINTER_OFFLINE",
  PRINTER_PAPER_OUT: "PRINTER_PAPER_OUT",
  PRINTER_HEAD_OPEN: "PRINTER_HEAD_OPEN",
  PRINTER_RIBBON_OUT: "PRINTER_RIBBON_OUT",
  PRINTER_PAUSED: "PRINTER_PAUSED",
  PRINTER_REJECTED: "PRINTER_REJECTED",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Codes a retry may cure: a marginal cable, a board that missed the reset, a timing glitch. */
const RETRYABLE_CODES: ReadonlySet<string> = new Set<string>([
  ErrorCodes.TIMEOUT,
  ErrorCodes.SYNC_FAILED,
  ErrorCodes.PROTOCOL_ERROR,
  ErrorCodes.FLASH_FAILED,
  ErrorCodes.VERIFY_FAILED,
  ErrorCodes.PORT_DISCONNECTED,
  ErrorCodes.CONSOLE_TIMEOUT,
  ErrorCodes.REGISTRATION_FAILED,
  ErrorCodes.SWITCH_UNREACHABLE,
  ErrorCodes.PRINTER_OFFLINE,
]);
