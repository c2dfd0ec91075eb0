/**
 * Runs the reference server as operators do, `factory serve` in a child process (serve-main.ts
 * under tsx) on a free loopback port with a SQLite file, for the tests that need a separate
 * process: the server's durability test (SIGKILL mid-traffic) and the cli's `factory flash` tests.
 * Test-only; not part of the published package.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../..");
const serveMain = path.join(here, "serve-main.ts");

export interface ServeProcessOptions {
  /** Directory that holds the server's SQLite file, `factory.db`. */
  dir: string;
  /** The admin bearer token (`FACTORY_ADMIN_TOKEN`). */
  adminToken: string;
  /** The master key, 64 hex digits (`FACTORY_MASTER_KEY`); open the store with the same one. */
  masterKey: string;
  /** How long the child may take to print its URL (default 45 s: tsx compiles first on a busy machine). */
  startTimeoutMs?: number;
}

export interface ServeProcess {
  child: ChildProcess;
  /** `http://127.0.0.1:<port>` as the server printed it. */
  url: string;
}

/**
 * Starts `factory serve --port 0 --host 127.0.0.1` in a child process and resolves once it prints
 * `listening on <url>`; rejects with the child's output when it exits first or is not up in
 * `startTimeoutMs`. The caller ends the child (SIGTERM shuts it down gracefully, SIGKILL does not).
 *
 * @example
 * const { child, url } = await startServeProcess({ dir, adminToken, masterKey: "11".repeat(32) });
 */
export function startServeProcess(options: ServeProcessOptions): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", serveMain, "--port", "0", "--host", "127.0.0.1"],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        FACTORY_DATABASE_URL: path.join(options.dir, "factory.db"),
        FACTORY_MASTER_KEY: options.masterKey,
        FACTORY_ADMIN_TOKEN: options.adminToken,
        FACTORY_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    const timeoutMs = options.startTimeoutMs ?? 45_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start in ${timeoutMs} ms: ${out}`));
    }, timeoutMs);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code ?? signal}: ${out}`));
    });
  });
}
