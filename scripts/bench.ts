/**
 * `pnpm bench <name> [args…]` runs packages/<pkg>/bench/<name>.ts. Each bench prints its
 * figures and ends with one line of JSON.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [name, ...args] = process.argv.slice(2);
const available = readdirSync(path.join(root, "packages")).flatMap((pkg) => {
  const dir = path.join(root, "packages", pkg, "bench");
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
        .map((f) => ({ name: f.replace(/\.ts$/, ""), file: path.join(dir, f) }))
    : [];
});
const bench = available.find((b) => b.name === name);
if (!bench) {
  console.error(
    `usage: pnpm bench <name>\navailable: ${available.map((b) => b.name).join(", ") || "(none yet)"}`,
  );
  process.exit(2);
}
const result = spawnSync(process.execPath, ["--import", "tsx", bench.file, ...args], {
  stdio: "inherit",
  cwd: root,
});
process.exit(result.status ?? 1);
