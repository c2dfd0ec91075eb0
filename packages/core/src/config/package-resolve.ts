import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Whether `packageName` can be imported from `baseDir` or, failing that, from where
 * @factory/core itself is installed: the same two places `loadDriverFactory` imports from.
 * Nothing is imported, so checking a config never loads native serial or USB modules.
 */
export function isPackageInstalled(packageName: string, baseDir: string): boolean {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return resolvesFrom(packageName, baseDir) || resolvesFrom(packageName, here);
}

function resolvesFrom(packageName: string, dir: string): boolean {
  try {
    createRequire(path.join(path.resolve(dir), "__factory_resolve__.js")).resolve(packageName);
    return true;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // The package is there but exports only `import` conditions: installed all the same.
    if (code === "ERR_PACKAGE_PATH_NOT_EXPORTED") return true;
  }
  // ESM-only packages without a `default` condition: look for the folder itself.
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (existsSync(path.join(current, "node_modules", packageName, "package.json"))) return true;
    if (path.dirname(current) === current) return false;
  }
}
