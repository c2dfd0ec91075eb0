/**
 * Writes the committed test-data/*.snmprec files from src/test-support/datasets.ts:
 * `pnpm exec tsx packages/driver-procurve/scripts/write-test-data.ts`. Serve them with
 * snmpsimd (community = file name) to try the driver without a switch.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_DATA } from "../src/test-support/test-data";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "test-data");
for (const [name, text] of Object.entries(TEST_DATA)) {
  writeFileSync(path.join(dir, `${name}.snmprec`), text);
  process.stdout.write(`wrote test-data/${name}.snmprec\n`);
}
