/**
 * The `factory` executable: wires the process (argv, streams, signals) to {@link runCli}.
 * The first Ctrl-C or SIGTERM fires `io.signal` so the running command stops cleanly; a second
 * one exits at once.
 */
import { runCli } from "./run-cli";

const controller = new AbortController();
let interrupts = 0;
const onSignal = (signal: NodeJS.Signals): void => {
  interrupts += 1;
  if (interrupts > 1) process.exit(signal === "SIGINT" ? 130 : 143);
  controller.abort(new DOMException(`received ${signal}`, "AbortError"));
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

// `pnpm factory …` runs from the workspace root; relative paths mean the caller's directory.
const viaScript = process.env.npm_lifecycle_event === "factory" && process.env.INIT_CWD;
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: viaScript ? process.env.INIT_CWD! : process.cwd(),
  signal: controller.signal,
});
process.exitCode = code;
process.off("SIGINT", onSignal);
process.off("SIGTERM", onSignal);
