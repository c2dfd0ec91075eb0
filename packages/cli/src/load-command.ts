import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type CliCommand, createError, isFactoryError } from "@factory/core";
import { packageOf } from "./command-table";
import { COMMAND_NOT_INSTALLED } from "./usage-error";

const cliDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * Imports `specifier` (`@factory/server/cli`) and returns its `commands[name]`. The package is
 * looked up from the working directory (the plant's project) first, then from where this CLI is
 * installed. A package that is not installed fails with `COMMAND_NOT_INSTALLED` naming it.
 */
export async function loadCommand(name: string, specifier: string, cwd: string): Promise<CliCommand> {
  const mod = await importCommands(specifier, cwd);
  const commands = (mod as { commands?: Record<string, CliCommand> }).commands;
  const command = commands?.[name];
  if (!command || typeof command.run !== "function") {
    const pkg = packageOf(specifier);
    throw createError(
      "cli",
      "COMMAND_INVALID",
      `${specifier} does not provide the "${name}" command; update ${pkg} (pnpm add ${pkg}@latest)`,
      { details: { specifier, command: name }, retryable: false },
    );
  }
  return command;
}

async function importCommands(specifier: string, cwd: string): Promise<unknown> {
  const pkg = packageOf(specifier);
  for (const dir of [cwd, cliDir]) {
    let resolved: string | undefined;
    try {
      resolved = createRequire(path.join(dir, "__factory_cli__.js")).resolve(specifier);
    } catch (error) {
      if ((error as { code?: unknown }).code === "ERR_PACKAGE_PATH_NOT_EXPORTED" && installedAt(pkg, dir)) {
        throw createError(
          "cli",
          "COMMAND_INVALID",
          `the installed ${pkg} has no command-line part; update it (pnpm add ${pkg}@latest)`,
          {
            cause: error,
            details: { specifier },
            retryable: false,
          },
        );
      }
      continue;
    }
    try {
      return await import(pathToFileURL(resolved).href);
    } catch (error) {
      throw createError(
        "cli",
        "COMMAND_INVALID",
        `${specifier} failed to load: ${(error as Error).message}`,
        {
          cause: error,
          details: { specifier },
          retryable: false,
        },
      );
    }
  }
  try {
    // Packages whose exports have only an `import` condition resolve here, not through require.
    return await import(specifier);
  } catch (error) {
    if (isFactoryError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if ((code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(pkg)) {
      throw createError(
        "cli",
        COMMAND_NOT_INSTALLED,
        `install ${pkg} to use this command (pnpm add ${pkg})`,
        {
          cause: error,
          details: { package: pkg, install: `pnpm add ${pkg}` },
          retryable: false,
        },
      );
    }
    throw error;
  }
}

function installedAt(pkg: string, dir: string): boolean {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (existsSync(path.join(current, "node_modules", pkg, "package.json"))) return true;
    if (path.dirname(current) === current) return false;
  }
}
