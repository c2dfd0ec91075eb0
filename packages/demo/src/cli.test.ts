import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Collects a stream's text and resolves the first match of `pattern`, bounded. */
function waitFor(
  child: ChildProcess,
  output: () => string,
  pattern: RegExp,
  ms: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms:\n${output()}`)), ms);
    const check = () => {
      const m = pattern.exec(output());
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before ${pattern}:\n${output()}`));
    });
    check();
  });
}

describe("factory demo, as a user runs it", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-demo-cli-"));
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the pages and tokens, serves them, and stops cleanly with exit 0 on Ctrl-C", async () => {
    let out = "";
    let err = "";
    // The command scripts/start.sh and `pnpm factory` run, in its own process group as a terminal
    // runs it, so Ctrl-C reaches the whole group. (pnpm itself returns at once on Ctrl-C without
    // waiting for its script, so it cannot tell the demo's exit code.)
    child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "packages/cli/src/bin.ts",
        "demo",
        "--dir",
        dir,
        "--port",
        "0",
        "--units",
        "4",
        "--speed",
        "60",
      ],
      { cwd: repoRoot, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout!.on("data", (d) => (out += String(d)));
    child.stderr!.on("data", (d) => (err += String(d)));
    const demoLink = await waitFor(child, () => out, /Demo page\s+(http:\/\/\S+\/demo#token=(\S+))/, 60_000);
    const [, link, token] = demoLink;
    expect(out).toMatch(/Dashboard\s+http:\/\/127\.0\.0\.1:\d+\/dashboard/);
    expect(out).toMatch(/Label station\s+http:\/\/127\.0\.0\.1:\d+\/station\/label/);
    expect(out).toMatch(/Board line\s+http:\/\/127\.0\.0\.1:\d+\/board-line/);
    expect(out).toMatch(/Debug station\s+http:\/\/127\.0\.0\.1:\d+\/station\/debug/);
    // The ESP station's records folder is named, and its daily CSV appears there.
    expect(out).toContain(`ESP records: ${path.join(dir, "esp-station")} (factory_records_YYYYMMDD.csv`);
    const base = link!.slice(0, link!.indexOf("/demo"));
    const page = await fetch(`${base}/demo`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Move to label port");
    const floor = await fetch(`${base}/api/demo/floor`, { headers: { authorization: `Bearer ${token}` } });
    expect(floor.status).toBe(200);
    expect(await floor.json()).toMatchObject({ build_ports: 4, label_port: "21" });
    // Units are building: the server has heartbeats from them.
    await waitFor(child, () => out, /port \d+\s+02:fa:c7:\S+\s+(ready|failed)/, 60_000);

    const csvWritten = () =>
      existsSync(path.join(dir, "esp-station")) &&
      readdirSync(path.join(dir, "esp-station")).some((f) => /^factory_records_\d{8}\.csv$/.test(f));
    await expect.poll(csvWritten, { timeout: 60_000, interval: 200 }).toBe(true);

    const exited = new Promise<{ code: number | null; ms: number }>((resolve) => {
      const started = Date.now();
      child!.once("exit", (code) => resolve({ code, ms: Date.now() - started }));
    });
    process.kill(-child.pid!, "SIGINT");
    const { code, ms } = await exited;
    expect({ code, stderr: err.split("\n").filter((l) => /"level":"error"/.test(l)) }).toEqual({
      code: 0,
      stderr: [],
    });
    expect(ms).toBeLessThan(15_000);
    expect(out).toContain("Stopped.");
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 120_000);
});
