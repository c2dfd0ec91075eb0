import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createError, ErrorCodes } from "@factory/core";

/**
 * The folder of drizzle-kit migrations for a dialect, found by walking up from this module
 * (works from `src/` in the workspace and from `dist/` once published: the package ships `drizzle/`).
 */
export function migrationsFolder(dialect: "sqlite" | "pg"): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, "drizzle", dialect);
    if (existsSync(path.join(candidate, "meta", "_journal.json"))) return candidate;
    dir = path.dirname(dir);
  }
  throw createError(
    "server",
    ErrorCodes.FILE_NOT_FOUND,
    `Database migrations for ${dialect} are missing from the package`,
  );
}
