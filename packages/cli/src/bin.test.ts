import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installCommandPackage } from "./fake-command-package";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const bin = path.join(repo, "packages/cli/src/bin.ts");
const tsxDir = path.dirname(createRequire(path.join(repo, "package.json")).resolve("tsx/package.json"));
const tsxLoader = pathToFileURL(path.join(tsxDir, "dist/loader.mjs")).href;

let tmp: string;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx packages/cli/src/bin.ts …` as operators' shells would. */
function factory(
  args: string[],
  cwd: string,
  onStart?: (child: ChildProcess, stdout: () => string) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.npm_lifecycle_event;
    delete env.INIT_CWD;
    const child = spawn(process.execPath, ["--import", tsxLoader, bin, ...args], { cwd, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    onStart?.(child, () => stdout);
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "factory-bin-"));
  // A long-running command that stops when the CLI's signal fires.
  await installCommandPackage(
    tmp,
    `export const commands = {
  serve: {
    summary: "serve",
    usage: "Usage: factory serve",
    run(argv, io) {
      io.stdout.write("listening\\n");
      const busy = setInterval(() => {}, 1000); // stands in for a listening socket
      return new Promise((resolve) => {
        io.signal.addEventListener("abort", () => {
          clearInterval(busy);
          io.stdout.write("stopped\\n");
          resolve(0);
        }, { once: true });
      });
    },
  },
};
`,
  );
  await mkdir(path.join(tmp, "broken"), { recursive: true });
  await writeFile(
    path.join(tmp, "broken/factory-config.yaml"),
    'stations:\n  - station_id: s1\n    ports: ["/dev/ttyUSB0"]\n    board_type: esp32\nboard_configs:\n  esp32:\n    platform: esp32\n    firmware_pth: "a.bin"\n',
  );
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("factory (child process)", { timeout: 60_000 }, () => {
  it("accepts the seed config unchanged: exit 0, YAML on stdout", async () => {
    const run = await factory(["config", "check", "examples/seed-line/factory-config.yaml"], repo);
    expect(run.stderr).toContain("ok examples/seed-line/factory-config.yaml");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("stationId: station_1");
    expect(run.stdout).toContain(
      `firmwarePath: ${path.join(repo, "examples/dist/esp32/firmware-latest.bin")}`,
    );
  });

  it("rejects a broken file with its lines: exit 1, no stack trace", async () => {
    const run = await factory(["config", "check"], path.join(tmp, "broken"));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("error CONFIG_INVALID: factory-config.yaml has 1 problem:");
    expect(run.stderr).toContain(
      'factory-config.yaml:8:5 board_configs.esp32.firmware_pth: unknown key "firmware_pth" (did you mean "firmware_path"?)',
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("prints help (exit 0) and rejects an unknown command with did-you-mean (exit 2)", async () => {
    const help = await factory(["--help"], repo);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: factory");
    const unknown = await factory(["confg", "check"], repo);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "confg" (did you mean "config check"?)');
  });

  it("fires the command's signal on SIGTERM and exits with its code", async () => {
    const run = await factory(["serve"], tmp, (child, stdout) => {
      const poll = setInterval(() => {
        if (stdout().includes("listening")) {
          clearInterval(poll);
          child.kill("SIGTERM");
        }
      }, 20);
    });
    expect(run.stdout).toBe("listening\nstopped\n");
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
  });
});
