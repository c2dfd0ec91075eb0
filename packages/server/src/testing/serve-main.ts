/**
 * Runs `factory serve` in a child process (used by the durability test and the bench):
 * `node --import tsx packages/server/src/testing/serve-main.ts [serve args]`. SIGTERM/SIGINT
 * shut it down gracefully.
 */
import { commands } from "../cli";

const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
process.on("SIGINT", () => controller.abort());
const code = await commands.serve!.run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exit(code);
