import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMMAND_PACKAGES } from "./command-table";
import { installCommandPackage } from "./fake-command-package";
import { cliVersion, runCli } from "./run-cli";
import { createTestIO } from "./test-io";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const seedDir = path.join(repo, "examples/seed-line");

let tmp: string;

const BROKEN = `stations:
  - station_id: "station_1"
    ports: ["/dev/ttyUSB0", "/dev/ttyUSB0"]
    bord_type: "esp32"
board_configs:
  esp32:
    platform: "esp32"
    firmware_path: "../dist/esp32/no-such-firmware.bin"
registration:
  token: "tok-9f8e7d6c"
`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "factory-cli-"));
  await writeFile(path.join(seedDir, ".broken-cli-test.yaml"), BROKEN);
  // A package contributing a command, installed in the plant's project directory.
  await installCommandPackage(
    tmp,
    `export const commands = {
  serve: {
    summary: "serve",
    usage: "Usage: factory serve [--port N]",
    async run(argv, io) { io.stdout.write("serving " + argv.join(",") + "\\n"); return 7; },
  },
};
`,
  );
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
  await rm(path.join(seedDir, ".broken-cli-test.yaml"), { force: true });
});

describe("factory (in-process)", () => {
  it("prints help with every command and exits 0; without a command exits 2", async () => {
    const t = createTestIO(repo);
    expect(await runCli(["--help"], t.io)).toBe(0);
    for (const name of ["config check", ...Object.keys(COMMAND_PACKAGES)]) expect(t.stdout()).toContain(name);
    expect(t.stdout()).toContain("[@factory/server]");
    const bare = createTestIO(repo);
    expect(await runCli([], bare.io)).toBe(2);
    expect(bare.stdout()).toContain("Usage: factory");
  });

  it("prints the package version", async () => {
    const t = createTestIO(repo);
    expect(await runCli(["--version"], t.io)).toBe(0);
    expect(t.stdout().trim()).toBe(cliVersion());
    expect(t.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("prints a command's usage for `<cmd> --help` and `help <cmd>`", async () => {
    const a = createTestIO(repo);
    expect(await runCli(["config", "check", "--help"], a.io)).toBe(0);
    expect(a.stdout()).toContain("Usage: factory config check [FILE]");
    const b = createTestIO(repo);
    expect(await runCli(["help", "config", "check"], b.io)).toBe(0);
    expect(b.stdout()).toBe(a.stdout());
  });

  it("checks the seed config: normalized YAML on stdout, exit 0", async () => {
    const t = createTestIO(seedDir);
    expect(await runCli(["config", "check", "factory-config.yaml"], t.io)).toBe(0);
    const printed = t.stdout();
    expect(printed).toMatch(/^stations:\n {2}- stationId: station_1\n/m);
    expect(printed).toContain("    flashSize: 4194304\n");
    expect(printed).toContain(
      "    offsets:\n      bootloader: 0x1000\n      partitionTable: 0x8000\n      app: 0x10000\n",
    );
    expect(printed).toContain(`firmwarePath: ${path.join(repo, "examples/dist/esp32/firmware-latest.bin")}`);
    expect(t.stderr()).toContain("ok factory-config.yaml: 1 station, 1 board config");
  });

  it("finds factory-config.yaml in the working directory and prints JSON with --json", async () => {
    const t = createTestIO(seedDir);
    expect(await runCli(["config", "check", "--json"], t.io)).toBe(0);
    const printed = JSON.parse(t.stdout()) as {
      stations: { stationId: string }[];
      boardConfigs: Record<string, { flashSize: number; regions: { name: string; offset: number }[] }>;
    };
    expect(printed.stations[0]!.stationId).toBe("station_1");
    expect(printed.boardConfigs.esp32!.flashSize).toBe(4194304);
    expect(printed.boardConfigs.esp32!.regions.map((r) => [r.name, r.offset])).toEqual([
      ["bootloader", 0x1000],
      ["partition-table", 0x8000],
      ["app", 0x10000],
    ]);
  });

  it("reports every problem of a broken file with file:line:col, exit 1, no stack, no secret", async () => {
    const t = createTestIO(seedDir);
    expect(await runCli(["config", "check", ".broken-cli-test.yaml"], t.io)).toBe(1);
    const err = t.stderr();
    expect(t.stdout()).toBe("");
    expect(err).toMatch(/^error CONFIG_INVALID: \.broken-cli-test\.yaml has 4 problems:/);
    expect(err).toContain(
      '.broken-cli-test.yaml:4:5 stations[0].bord_type: unknown key "bord_type" (did you mean "board_type"?)',
    );
    expect(err).toContain(
      ".broken-cli-test.yaml:3:29 stations[0].ports[1]: port /dev/ttyUSB0 is listed twice",
    );
    expect(err).toContain(
      `.broken-cli-test.yaml:8:20 board_configs.esp32.firmware_path: file not found: ${path.join(repo, "examples/dist/esp32/no-such-firmware.bin")}`,
    );
    expect(err).toContain(".broken-cli-test.yaml:10:3 registration.token: looks like a secret");
    expect(err).not.toContain("tok-9f8e7d6c");
    expect(err).not.toMatch(/\n\s+at /);
  });

  it("prints the stack with --debug", async () => {
    const t = createTestIO(seedDir);
    expect(await runCli(["--debug", "config", "check", "missing.yaml"], t.io)).toBe(1);
    expect(t.stderr()).toMatch(/^error CONFIG_NOT_FOUND: config file not found: /);
    expect(t.stderr()).toMatch(/\n\s+at /);
  });

  it("exits 2 with did-you-mean for an unknown command, subcommand or option", async () => {
    const a = createTestIO(repo);
    expect(await runCli(["serv"], a.io)).toBe(2);
    expect(a.stderr()).toBe(
      'error USAGE_ERROR: unknown command "serv" (did you mean "serve"?); run factory --help\n',
    );
    const b = createTestIO(repo);
    expect(await runCli(["config", "chek"], b.io)).toBe(2);
    expect(b.stderr()).toContain('(did you mean "config check"?)');
    const c = createTestIO(repo);
    expect(await runCli(["config", "check", "--jsno"], c.io)).toBe(2);
    expect(c.stderr()).toContain("Unknown option '--jsno'");
    const d = createTestIO(repo);
    expect(await runCli(["--verbose"], d.io)).toBe(2);
  });

  it("loads a contributed command from the project's node_modules and passes its arguments", async () => {
    const t = createTestIO(tmp);
    expect(await runCli(["serve", "--port", "8080"], t.io)).toBe(7);
    expect(t.stdout()).toBe("serving --port,8080\n");
    const help = createTestIO(tmp);
    expect(await runCli(["serve", "--help"], help.io)).toBe(0);
    expect(help.stdout()).toBe("Usage: factory serve [--port N]\n");
  });

  it("says which package to install when a command's package is missing (exit 1)", async () => {
    const t = createTestIO(tmp);
    const packages = { ...COMMAND_PACKAGES, serve: "@factory/not-installed-anywhere/cli" };
    expect(await runCli(["serve"], t.io, { commandPackages: packages })).toBe(1);
    expect(t.stderr()).toBe(
      "error COMMAND_NOT_INSTALLED: install @factory/not-installed-anywhere to use this command (pnpm add @factory/not-installed-anywhere)\n",
    );
  });

  it("says the package is outdated when it has no command-line part", async () => {
    const pkg = path.join(tmp, "node_modules/@factory/driver-old");
    await mkdir(pkg, { recursive: true });
    await writeFile(
      path.join(pkg, "package.json"),
      JSON.stringify({ name: "@factory/driver-old", exports: { ".": "./i.js" } }),
    );
    const t = createTestIO(tmp);
    const packages = { "sim old": "@factory/driver-old/cli" };
    expect(await runCli(["sim", "old"], t.io, { commandPackages: packages })).toBe(1);
    expect(t.stderr()).toContain(
      "error COMMAND_INVALID: the installed @factory/driver-old has no command-line part",
    );
  });
});
