import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { BoardDriver } from "./contracts/board-driver";
import type { Printer } from "./contracts/printer";
import type { SwitchDriver } from "./contracts/switch-driver";
import { createError, ErrorCodes, isFactoryError } from "./errors";
import { type Logger, noopLogger } from "./logger";

const BRAND = Symbol.for("factory.driver-factory");

export type DriverKind = "board" | "switch" | "printer";

interface KindMap {
  board: BoardDriver;
  switch: SwitchDriver;
  printer: Printer;
}

/** Context handed to a driver factory's `create`. */
export interface DriverContext {
  logger: Logger;
  /** Directory relative paths in the driver's options resolve against (the config file's). */
  baseDir: string;
}

/**
 * What a driver package exports (as its default export, or as `driverFactory`). Branded, so
 * that a factory made with another copy of @factory/core is still recognised.
 */
export interface DriverFactory<K extends DriverKind = DriverKind, O = Record<string, unknown>> {
  readonly [BRAND]: K;
  readonly kind: K;
  /** Short name: `esp`, `procurve`, `zpl`. */
  readonly name: string;
  /** Families a board driver flashes; empty for other kinds. */
  readonly families: readonly string[];
  create(options: O, context?: Partial<DriverContext>): KindMap[K] | Promise<KindMap[K]>;
}

interface Definition<K extends DriverKind, O> {
  name: string;
  families?: readonly string[];
  create(options: O, context: DriverContext): KindMap[K] | Promise<KindMap[K]>;
}

function define<K extends DriverKind, O>(kind: K, def: Definition<K, O>): DriverFactory<K, O> {
  return {
    [BRAND]: kind,
    kind,
    name: def.name,
    families: def.families ?? [],
    create: (options, context) =>
      def.create(options, {
        logger: context?.logger ?? noopLogger,
        baseDir: context?.baseDir ?? process.cwd(),
      }),
  };
}

/**
 * Declares a board driver package's factory.
 *
 * @example
 * export default defineBoardDriver({
 *   name: "esp",
 *   families: ["esp32", "esp8266"],
 *   create: (options: EspDriverOptions, { logger }) => new EspDriver(options, logger),
 * });
 */
export function defineBoardDriver<O = Record<string, unknown>>(
  def: Definition<"board", O>,
): DriverFactory<"board", O> {
  return define("board", def);
}

/** Declares a switch driver package's factory. */
export function defineSwitchDriver<O = Record<string, unknown>>(
  def: Definition<"switch", O>,
): DriverFactory<"switch", O> {
  return define("switch", def);
}

/** Declares a printer package's factory (a package may export several by name). */
export function definePrinter<O = Record<string, unknown>>(
  def: Definition<"printer", O>,
): DriverFactory<"printer", O> {
  return define("printer", def);
}

/** True for a factory made by any copy of @factory/core, optionally of the given kind. */
export function isDriverFactory<K extends DriverKind>(value: unknown, kind?: K): value is DriverFactory<K> {
  if (typeof value !== "object" || value === null) return false;
  const brand = (value as Record<symbol, unknown>)[BRAND];
  return typeof brand === "string" && (kind === undefined || brand === kind);
}

/** The driver package for each board platform named in config (`board_configs.*.platform`). */
export const DEFAULT_BOARD_PACKAGES: Readonly<Record<string, string>> = {
  esp32: "@factory/driver-esp",
  esp32s2: "@factory/driver-esp",
  esp32s3: "@factory/driver-esp",
  esp32c3: "@factory/driver-esp",
  esp32c6: "@factory/driver-esp",
  esp8266: "@factory/driver-esp",
  stm32: "@factory/driver-stm32",
  rp2040: "@factory/driver-pico",
  rp2350: "@factory/driver-pico",
  pico: "@factory/driver-pico",
  arduino: "@factory/driver-avr",
  avr: "@factory/driver-avr",
};

export interface LoadOptions {
  /** Resolve the package from here (the config file's directory); defaults to the working directory. */
  baseDir?: string;
  /** Named export holding the factory, when not the default export. */
  exportName?: string;
  /** Replaces dynamic import (tests, bundled apps). Receives the package name. */
  importer?: (specifier: string) => Promise<unknown>;
}

/**
 * Imports a driver package by name and returns its factory. A package that is not installed
 * fails with `DRIVER_NOT_INSTALLED` and the command that installs it; a package that does not
 * export a factory of the right kind fails with `DRIVER_INVALID`.
 */
export async function loadDriverFactory<K extends DriverKind>(
  kind: K,
  packageName: string,
  options: LoadOptions = {},
): Promise<DriverFactory<K>> {
  const mod = await importPackage(packageName, options);
  const candidates = options.exportName
    ? [(mod as Record<string, unknown>)[options.exportName]]
    : [(mod as Record<string, unknown>).default, (mod as Record<string, unknown>).driverFactory];
  const found = candidates.find((c) => isDriverFactory(c));
  if (!found) {
    throw createError(
      "core",
      ErrorCodes.DRIVER_INVALID,
      `${packageName} does not export a ${kind} driver factory`,
      {
        details: { packageName, kind, exportName: options.exportName ?? "default" },
      },
    );
  }
  if (!isDriverFactory(found, kind)) {
    throw createError(
      "core",
      ErrorCodes.DRIVER_INVALID,
      `${packageName} exports a ${(found as DriverFactory).kind} driver, but a ${kind} driver is needed here`,
      { details: { packageName, kind } },
    );
  }
  return found;
}

/** Loads a board driver package and creates the driver with `settings`. */
export async function loadBoardDriver(
  packageName: string,
  settings: Record<string, unknown> = {},
  options: LoadOptions & { logger?: Logger } = {},
): Promise<BoardDriver> {
  const factory = await loadDriverFactory("board", packageName, options);
  return factory.create(settings, {
    logger: options.logger ?? noopLogger,
    baseDir: options.baseDir ?? process.cwd(),
  });
}

async function importPackage(packageName: string, options: LoadOptions): Promise<unknown> {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.-]+)*$/i.test(packageName)) {
    throw createError("core", ErrorCodes.INVALID_ARGUMENT, `"${packageName}" is not a package name`, {
      details: { packageName },
    });
  }
  if (options.importer) return wrapMissing(packageName, () => options.importer!(packageName));
  const baseDir = path.resolve(options.baseDir ?? process.cwd());
  let resolved: string | undefined;
  try {
    resolved = createRequire(path.join(baseDir, "__factory_loader__.js")).resolve(packageName);
  } catch {
    // Not resolvable from the project directory; try from wherever @factory/core itself lives.
  }
  return wrapMissing(packageName, () => import(resolved ? pathToFileURL(resolved).href : packageName));
}

async function wrapMissing(packageName: string, load: () => Promise<unknown>): Promise<unknown> {
  try {
    return await load();
  } catch (error) {
    if (isFactoryError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    // "Cannot find package 'x' imported from …": only a missing `packageName` itself means "not
    // installed"; a dependency missing inside it is a broken install of that package.
    const missing = /Cannot find (?:module|package) '([^']+)'/.exec(message)?.[1];
    const missingItself =
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND" || missing !== undefined) &&
      (missing === packageName || missing?.startsWith(`${packageName}/`) === true);
    if (missingItself) {
      throw createError(
        "core",
        ErrorCodes.DRIVER_NOT_INSTALLED,
        `The driver package ${packageName} is not installed. Install it with: pnpm add ${packageName} (or npm install ${packageName})`,
        { cause: error, details: { packageName, install: `pnpm add ${packageName}` }, retryable: false },
      );
    }
    throw createError("core", ErrorCodes.DRIVER_INVALID, `${packageName} failed to load: ${message}`, {
      cause: error,
      details: { packageName },
    });
  }
}
