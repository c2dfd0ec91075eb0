/**
 * Runs one of this package's `factory` commands in a child process (tests):
 * `node --import tsx packages/server/src/testing/cli-main.ts label --config …`.
 */
import { commands } from "../cli";

const controller = new AbortController();
process.on("SIGTERM", () => controller.abort());
process.on("SIGINT", () => controller.abort());
const [name, ...args] = process.argv.slice(2);
const code = await commands[name!]!.run(args, {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
process.exit(code);
