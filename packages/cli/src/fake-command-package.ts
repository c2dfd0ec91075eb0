import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/**
 * Test support: installs a stand-in command package in `projectDir/node_modules`, as a plant's
 * project would have `@factory/server` installed: its `./cli` export is `cliModule`, an ES module
 * that exports `commands`. Test-only; not part of the published package.
 */
export async function installCommandPackage(
  projectDir: string,
  cliModule: string,
  name = "@factory/server",
): Promise<void> {
  const pkg = path.join(projectDir, "node_modules", name);
  await mkdir(pkg, { recursive: true });
  await writeFile(
    path.join(pkg, "package.json"),
    JSON.stringify({ name, type: "module", exports: { "./cli": "./cli.mjs" } }),
  );
  await writeFile(path.join(pkg, "cli.mjs"), cliModule);
}
