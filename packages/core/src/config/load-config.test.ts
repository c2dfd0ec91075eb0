import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FactoryError, isFactoryError } from "../errors";
import { defineBoardDriver } from "../plugin";
import type { ConfigIssue } from "./issues";
import { defineConfig, loadConfig, parseConfig, validateConfig } from "./load-config";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const seedConfig = path.join(repo, "examples/seed-line/factory-config.yaml");
const seedImages = path.join(repo, "examples/dist/esp32");

let root: string;
let lineDir: string;

/** The config error `promise` rejects with. */
async function configError(promise: Promise<unknown>): Promise<FactoryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isFactoryError(error)) throw new Error(`expected a FactoryError, got ${String(error)}`);
  return error;
}

function issuesOf(error: FactoryError): ConfigIssue[] {
  return error.details.issues as ConfigIssue[];
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split("\n").findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`fixture has no line with ${needle}`);
  return index + 1;
}

function issueAt(issues: ConfigIssue[], keyPath: string): ConfigIssue {
  const found = issues.find((issue) => issue.path === keyPath);
  if (!found) throw new Error(`no issue at ${keyPath}; got ${issues.map((i) => i.path).join(", ")}`);
  return found;
}

async function writeLine(name: string, text: string): Promise<string> {
  const file = path.join(lineDir, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "factory-config-"));
  lineDir = path.join(root, "line");
  await mkdir(path.join(root, "dist/esp32"), { recursive: true });
  for (const name of ["bootloader.bin", "firmware-latest.bin", "partitions.bin"]) {
    await copyFile(path.join(seedImages, name), path.join(root, "dist/esp32", name));
  }
  await writeFile(path.join(root, "dist/esp32/firmware-big.bin"), new Uint8Array(40_000).fill(0xe9));
  // An installed driver package, as a plant's node_modules would hold it.
  const pkg = path.join(lineDir, "node_modules/@factory/driver-esp");
  await mkdir(pkg, { recursive: true });
  await writeFile(
    path.join(pkg, "package.json"),
    JSON.stringify({ name: "@factory/driver-esp", main: "index.js" }),
  );
  await writeFile(path.join(pkg, "index.js"), "export default {};\n");
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("the seed's factory-config.yaml", () => {
  it("is accepted unchanged and normalized", async () => {
    const config = await loadConfig(seedConfig);
    const dist = path.join(repo, "examples/dist/esp32");
    expect(config.file).toBe(seedConfig);
    expect(config.provisioningServiceUrl).toBe("http://localhost:3002");
    expect(config.otaServiceUrl).toBe("http://localhost:3004");
    expect(config.stations).toEqual([
      {
        stationId: "station_1",
        boardType: "esp32",
        ports: [{ path: "/dev/ttyUSB0" }, { path: "/dev/ttyUSB1" }],
      },
    ]);
    const esp32 = config.boardConfigs.esp32!;
    expect(esp32.flashSize).toBe(4 * 1024 * 1024);
    expect(esp32.boardModel).toBe("ESP32-WROOM-32");
    expect(esp32.driver).toBe("@factory/driver-esp");
    expect(esp32.firmwarePath).toBe(path.join(dist, "firmware-latest.bin"));
    expect(esp32.regions.map((r) => [r.name, r.offset, r.path])).toEqual([
      ["bootloader", 0x1000, path.join(dist, "bootloader.bin")],
      ["partition-table", 0x8000, path.join(dist, "partitions.bin")],
      ["app", 0x10000, path.join(dist, "firmware-latest.bin")],
    ]);
    for (const region of esp32.regions) expect(region.size).toBe((await stat(region.path)).size);
    expect(config.qualityGates).toEqual({
      maxFirmwareSize: { esp32: 3145728, esp8266: 1048576 },
      maxFlashTimeMs: 120_000,
      maxRetryAttempts: 3,
    });
    expect(config.testing).toEqual({
      enabled: true,
      tests: [{ name: "boot_test", command: "info", expectedResponse: "OK", timeoutMs: 5000 }],
    });
    expect(config.logging).toMatchObject({
      level: "debug",
      consoleOutput: true,
      maxFileSize: 10485760,
      backupCount: 5,
    });
    expect(config.logging.file).toBe(path.join(repo, "examples/seed-line/factory-provisioning.log"));
  });

  it("points at real ESP images", async () => {
    const app = await readFile(path.join(seedImages, "firmware-latest.bin"));
    const bootloader = await readFile(path.join(seedImages, "bootloader.bin"));
    const table = await readFile(path.join(seedImages, "partitions.bin"));
    expect(app[0]).toBe(0xe9);
    expect(bootloader[0]).toBe(0xe9);
    expect(app.readUInt32LE(24 + 8)).toBe(0xabcd5432); // esp_app_desc_t magic in the first segment
    expect([table[0], table[1]]).toEqual([0xaa, 0x50]);
  });
});

const BROKEN = `provisioning_service_url: "http://localhost:3002"
stations:
  - station_id: "station_1"
    ports:
      - "/dev/ttyUSB0"
      - "/dev/ttyUSB1"
    board_type: "esp32"
  - station_id: "station_2"
    ports:
      - "/dev/ttyUSB1"
    board_typ: "esp32"
  - station_id: "station_3"
    ports: ["/dev/ttyACM0"]
    board_type: "esp23"
board_configs:
  esp32:
    platform: "esp32"
    flash_size: 4096.5
    firmware_path: "../dist/esp32/firmware-big.bin"
    bootloader_path: "../dist/esp32/bootloader.bin"
    partition_table_path: "../dist/esp32/missing.bin"
  stm:
    platform: "stm32"
    driver: "@factory/driver-not-there"
    firmware_path: "../dist/esp32/bootloader.bin"
quality_gates:
  max_firmware_size:
    esp32: 16384
  max_flash_time: "fast"
testing:
  enabeld: true
`;

describe("a broken copy", () => {
  it("reports every problem with its line, column and key path", async () => {
    const file = await writeLine("broken.yaml", BROKEN);
    const error = await configError(loadConfig(file));
    expect(error.code).toBe("CONFIG_INVALID");
    const issues = issuesOf(error);
    for (const issue of issues) expect(issue.file).toBe(file);

    const typo = issueAt(issues, "stations[1].board_typ");
    expect(typo).toMatchObject({ line: lineOf(BROKEN, "board_typ:"), column: 5, code: "UNKNOWN_KEY" });
    expect(typo.message).toContain('did you mean "board_type"?');
    // The typo explains the missing board_type: reported once, not twice.
    expect(issues.some((i) => i.path === "stations[1].board_type")).toBe(false);

    const unknownTesting = issueAt(issues, "testing.enabeld");
    expect(unknownTesting.line).toBe(lineOf(BROKEN, "enabeld"));
    expect(unknownTesting.message).toContain('did you mean "enabled"?');

    const wrongType = issueAt(issues, "quality_gates.max_flash_time");
    expect(wrongType.line).toBe(lineOf(BROKEN, "max_flash_time"));
    expect(wrongType.column).toBe(19);
    expect(wrongType.message).toMatch(/expected a number of seconds, found the text "fast"/);

    const size = issueAt(issues, "board_configs.esp32.flash_size");
    expect(size.line).toBe(lineOf(BROKEN, "flash_size"));
    expect(size.message).toMatch(/expected a size .*found number 4096.5/);

    const twice = issueAt(issues, "stations[1].ports[0]");
    expect(twice).toMatchObject({
      line: lineOf(BROKEN, '      - "/dev/ttyUSB1"') + 4,
      column: 9,
      code: "DUPLICATE_PORT",
    });
    expect(twice.message).toContain('station "station_1" already uses it at stations[0].ports[1]');

    const missing = issueAt(issues, "board_configs.esp32.partition_table_path");
    expect(missing).toMatchObject({ line: lineOf(BROKEN, "missing.bin"), code: "FILE_NOT_FOUND" });
    expect(missing.message).toContain(path.join(root, "dist/esp32/missing.bin"));

    const gate = issueAt(issues, "board_configs.esp32.firmware_path");
    expect(gate).toMatchObject({ line: lineOf(BROKEN, "firmware-big.bin"), code: "IMAGE_TOO_LARGE" });
    expect(gate.message).toContain("40000 bytes");
    expect(gate.message).toContain("max_firmware_size.esp32 of 16 KB (16384 bytes)");

    const noBoard = issueAt(issues, "stations[2].board_type");
    expect(noBoard).toMatchObject({ line: lineOf(BROKEN, '"esp23"'), code: "UNKNOWN_BOARD_TYPE" });
    expect(noBoard.message).toContain('did you mean "esp32"?');

    const driver = issueAt(issues, "board_configs.stm.driver");
    expect(driver).toMatchObject({ line: lineOf(BROKEN, "driver-not-there"), code: "DRIVER_NOT_INSTALLED" });
    expect(driver.message).toContain("pnpm add @factory/driver-not-there");

    // The installed driver package (node_modules beside the config) is not reported.
    expect(issues.some((i) => i.path === "board_configs.esp32.platform")).toBe(false);
    expect(issues).toHaveLength(9);
    expect(error.message.split("\n")).toHaveLength(10);
    expect(error.message).toContain(`${file}:${typo.line}:5 stations[1].board_typ: unknown key "board_typ"`);
  });

  it("names the line of malformed YAML, for bad indentation too", async () => {
    const text =
      'stations:\n  - station_id: "s1"\n    ports:\n      - "/dev/ttyUSB0"\n   board_type: "esp32"\n';
    const error = await configError(parseConfig(text, { file: "indent.yaml", drivers: "skip" }));
    expect(error.code).toBe("CONFIG_INVALID");
    const [issue] = issuesOf(error);
    expect(issue).toMatchObject({ file: "indent.yaml", line: 5, code: "YAML_SYNTAX" });
    expect(issue!.message).toMatch(/malformed/);
  });

  it("rejects a key written twice", async () => {
    const text =
      "board_configs:\n  esp32:\n    platform: esp32\n    platform: esp8266\n    firmware_path: a.bin\n";
    const issues = issuesOf(await configError(parseConfig(text, { drivers: "skip" })));
    expect(issues[0]).toMatchObject({ line: 4, column: 5, code: "YAML_SYNTAX" });
  });

  it("rejects a document that is not a mapping", async () => {
    const issues = issuesOf(await configError(parseConfig("- 1\n- 2\n", { drivers: "skip" })));
    expect(issues).toEqual([
      expect.objectContaining({
        line: 1,
        column: 1,
        path: "(root)",
        message: expect.stringMatching(/found a list of 2/),
      }),
    ]);
  });

  it("rejects tokens written into the file without echoing them", async () => {
    const text = 'registration:\n  url: "https://reg.example.com"\n  token: "s3cr3t-value"\n';
    const error = await configError(parseConfig(text, { drivers: "skip" }));
    const issue = issueAt(issuesOf(error), "registration.token");
    expect(issue).toMatchObject({ line: 3, code: "SECRET_IN_CONFIG" });
    expect(issue.message).toContain('"token_env"');
    expect(error.message).not.toContain("s3cr3t-value");
    expect(JSON.stringify(error.details)).not.toContain("s3cr3t-value");
  });

  it("fails with CONFIG_NOT_FOUND for a missing file", async () => {
    const error = await configError(loadConfig(path.join(lineDir, "nope.yaml")));
    expect(error.code).toBe("CONFIG_NOT_FOUND");
    expect(error.message).toContain(path.join(lineDir, "nope.yaml"));
  });
});

describe("extensions", () => {
  it("takes ports with labels, offsets, settings, driver, output_dir and registration by env var", async () => {
    const text = `registration:
  url: "https://reg.example.com/api"
  token_env: "FACTORY_REG_TOKEN"
batch_id: "B-2026-11"
output_dir: "out"
stations:
  - station_id: "bench"
    ports:
      - { path: "/dev/serial/by-path/pci-0:1.0", label: "A1" }
      - "/dev/ttyUSB9"
    board_type: "s3"
board_configs:
  s3:
    platform: "esp32s3"
    flash_size: "8MB"
    firmware_path: "../dist/esp32/firmware-latest.bin"
    bootloader_path: "../dist/esp32/bootloader.bin"
    offsets: { app: "0x20000" }
    settings: { baud: 921600, reset: "usb-jtag", custom_flag: true }
label:
  qr_payload: "https://pair.example.com/{device_id}?p={password}"
`;
    const file = await writeLine("extended.yaml", text);
    const config = await loadConfig(file);
    expect(config.stations[0]!.ports).toEqual([
      { path: "/dev/serial/by-path/pci-0:1.0", label: "A1" },
      { path: "/dev/ttyUSB9" },
    ]);
    const s3 = config.boardConfigs.s3!;
    expect(s3.flashSize).toBe(8 * 1024 * 1024);
    expect(s3.offsets).toEqual({ bootloader: 0x0, app: 0x20000 });
    expect(s3.regions.map((r) => [r.name, r.offset])).toEqual([
      ["bootloader", 0],
      ["app", 0x20000],
    ]);
    expect(s3.settings).toEqual({ baud: 921600, reset: "usb-jtag", custom_flag: true });
    expect(config.registration).toEqual({
      url: "https://reg.example.com/api",
      tokenEnv: "FACTORY_REG_TOKEN",
      timeoutMs: 10_000,
    });
    expect(config.batchId).toBe("B-2026-11");
    expect(config.outputDir).toBe(path.join(lineDir, "out"));
    expect(config.logging.file).toBe(path.join(lineDir, "out/factory-provisioning.log"));
    expect(config.label.qrPayload).toContain("{device_id}");
  });

  it("checks label placeholders, overlapping regions and images beyond the flash", async () => {
    const text = `board_configs:
  esp32:
    platform: esp32
    flash_size: 32KB
    firmware_path: "../dist/esp32/firmware-big.bin"
    bootloader_path: "../dist/esp32/bootloader.bin"
    offsets:
      bootloader: 0x1000
      app: 0x1800
label:
  qr_payload: "https://pair.example.com/{device_idd}"
`;
    const issues = issuesOf(await configError(parseConfig(text, { baseDir: lineDir })));
    expect(issueAt(issues, "label.qr_payload").message).toContain(
      'unknown placeholder {device_idd} (did you mean "device_id"?)',
    );
    const overlap = issueAt(issues, "board_configs.esp32.bootloader_path");
    expect(overlap).toMatchObject({ line: 6, code: "PLAN_INVALID" });
    expect(overlap.message).toContain("overlaps the app at 0x1800");
    const beyond = issueAt(issues, "board_configs.esp32.firmware_path");
    expect(beyond.message).toContain("beyond the 32 KB flash");
  });

  it("asks for offsets on a platform without defaults and a driver for an unknown platform", async () => {
    const text = `board_configs:
  odd:
    platform: "esp33"
    firmware_path: "../dist/esp32/firmware-latest.bin"
  custom:
    platform: "nrf52"
    driver: "@acme/factory-driver-nrf"
    firmware_path: "../dist/esp32/firmware-latest.bin"
    bootloader_path: "../dist/esp32/bootloader.bin"
    offsets: { app: 0x1000 }
`;
    const issues = issuesOf(await configError(parseConfig(text, { baseDir: lineDir, drivers: "skip" })));
    expect(issueAt(issues, "board_configs.odd.platform").message).toContain(
      'no driver is known for platform "esp33" (did you mean "esp32"?)',
    );
    expect(issueAt(issues, "board_configs.custom.bootloader_path").message).toContain(
      "set offsets.bootloader",
    );
  });

  it("loads a driver in `load` mode and checks it flashes the platform", async () => {
    const text = `board_configs:
  pico:
    platform: rp2040
    driver: "@acme/factory-driver-esp-only"
    firmware_path: "../dist/esp32/firmware-latest.bin"
`;
    const factory = defineBoardDriver({ name: "esp-only", families: ["esp32"], create: () => ({}) as never });
    const imported: string[] = [];
    const importer = async (name: string): Promise<unknown> => {
      imported.push(name);
      return { default: factory };
    };
    const issues = issuesOf(
      await configError(parseConfig(text, { baseDir: lineDir, drivers: "load", importer })),
    );
    expect(imported).toEqual(["@acme/factory-driver-esp-only"]);
    expect(issueAt(issues, "board_configs.pico.driver")).toMatchObject({ line: 4, code: "DRIVER_INVALID" });
    expect(issues[0]!.message).toContain('does not flash platform "rp2040"; it supports: esp32');
  });
});

describe("defineConfig and config modules", () => {
  const input = defineConfig({
    stations: [{ station_id: "s1", ports: ["/dev/ttyUSB0"], board_type: "esp32" }],
    board_configs: { esp32: { platform: "esp32", firmware_path: "../dist/esp32/firmware-latest.bin" } },
  });

  it("is the identity and validates like the YAML", async () => {
    expect(defineConfig(input)).toBe(input);
    const config = await validateConfig(input, { baseDir: lineDir });
    expect(config.boardConfigs.esp32!.firmwarePath).toBe(path.join(root, "dist/esp32/firmware-latest.bin"));
    const bad = { ...input, stations: [{ station_id: "s1", ports: ["/dev/ttyUSB0"], boardType: "esp32" }] };
    const issues = issuesOf(
      await configError(validateConfig(bad, { baseDir: lineDir, file: "factory.config.ts" })),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        file: "factory.config.ts",
        path: "stations[0].boardType",
        code: "UNKNOWN_KEY",
      }),
    ]);
    expect(issues[0]!.line).toBeUndefined();
    expect(issues[0]!.message).toContain('did you mean "board_type"?');
  });

  it("loads the default export of a factory.config.mjs next to its images", async () => {
    const file = await writeLine("factory.config.mjs", `export default ${JSON.stringify(input)};\n`);
    const config = await loadConfig(file);
    expect(config.file).toBe(file);
    expect(config.stations[0]!.stationId).toBe("s1");
    expect(config.boardConfigs.esp32!.regions[0]!.size).toBe(
      (await stat(path.join(seedImages, "firmware-latest.bin"))).size,
    );
  });

  it("stops when the signal fires", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await configError(loadConfig(seedConfig, { signal: controller.signal }));
    expect(error.code).toBe("ABORTED");
  });
});
