import { stat } from "node:fs/promises";
import path from "node:path";
import { throwIfAborted } from "../abort";
import { isFactoryError } from "../errors";
import { type LoadOptions, loadDriverFactory } from "../plugin";
import { didYouMean } from "./did-you-mean";
import type { ConfigPath } from "./issues";
import { LABEL_FIELDS, labelTemplateFields } from "./label-template";
import type { PendingIssue } from "./normalize";
import { isPackageInstalled } from "./package-resolve";
import { formatOffset, formatSize } from "./sizes";
import type { BoardConfig, FactoryConfig, ImageRegionConfig } from "./types";

export interface CheckOptions {
  /**
   * How driver packages are checked: `resolve` (default) finds the package without importing it;
   * `load` imports it and checks it exports a board driver for the platform; `skip` does neither.
   */
  drivers?: "resolve" | "load" | "skip";
  /** Check that image files exist and fit their gates (default true). */
  files?: boolean;
  /** Replaces dynamic import in `load` mode (tests, bundled apps). */
  importer?: LoadOptions["importer"];
  signal?: AbortSignal;
}

const REGION_KEY: Readonly<Record<ImageRegionConfig["name"], string>> = {
  bootloader: "bootloader_path",
  "partition-table": "partition_table_path",
  app: "firmware_path",
};

/** Flash address where offsets start counting for the flash size check. */
const FLASH_BASE: Readonly<Record<string, number>> = {
  stm32: 0x0800_0000,
  rp2040: 0x1000_0000,
  rp2350: 0x1000_0000,
  pico: 0x1000_0000,
};

/**
 * Checks what the schema cannot: references between sections, files on disk, gates, ports used
 * twice, installed drivers. Runs before any device is touched. Fills `regions[].size`.
 */
export async function checkConfig(
  config: FactoryConfig,
  options: CheckOptions = {},
  /** Boards whose `driver` key is written out (issues then point at it rather than at `platform`). */
  explicitDrivers: ReadonlySet<string> = new Set(),
): Promise<PendingIssue[]> {
  const issues: PendingIssue[] = [];
  checkStations(config, issues);
  checkTests(config, issues);
  checkLabel(config, issues);
  if (options.files !== false) {
    for (const board of Object.values(config.boardConfigs)) {
      throwIfAborted(options.signal);
      await checkImages(config, board, issues);
    }
  }
  if (options.drivers !== "skip") await checkDrivers(config, options, explicitDrivers, issues);
  return issues;
}

function checkStations(config: FactoryConfig, issues: PendingIssue[]): void {
  const boards = Object.keys(config.boardConfigs);
  const stationIds = new Map<string, number>();
  const portOwner = new Map<string, { station: string; where: string }>();
  config.stations.forEach((station, s) => {
    const first = stationIds.get(station.stationId);
    if (first !== undefined) {
      issues.push({
        path: ["stations", s, "station_id"],
        message: `station "${station.stationId}" is already defined at stations[${first}]; station ids must be unique`,
        code: "DUPLICATE_STATION",
      });
    } else stationIds.set(station.stationId, s);

    if (!(station.boardType in config.boardConfigs)) {
      const known =
        boards.length > 0 ? `; board_configs has: ${boards.join(", ")}` : "; board_configs is empty";
      issues.push({
        path: ["stations", s, "board_type"],
        message: `board type "${station.boardType}" has no entry in board_configs${didYouMean(station.boardType, boards) || known}`,
        code: "UNKNOWN_BOARD_TYPE",
        refersTo: ["board_configs", station.boardType],
      });
    }

    const labels = new Map<string, number>();
    station.ports.forEach((port, p) => {
      const where = `stations[${s}].ports[${p}]`;
      const owner = portOwner.get(port.path);
      if (owner) {
        const whose = owner.station === station.stationId ? "this station" : `station "${owner.station}"`;
        issues.push({
          path: ["stations", s, "ports", p],
          message: `port ${port.path} is listed twice: ${whose} already uses it at ${owner.where}`,
          code: "DUPLICATE_PORT",
        });
      } else portOwner.set(port.path, { station: station.stationId, where });
      if (port.label !== undefined) {
        const seen = labels.get(port.label);
        if (seen !== undefined) {
          issues.push({
            path: ["stations", s, "ports", p, "label"],
            message: `label "${port.label}" is already used by ports[${seen}] of this station`,
            code: "DUPLICATE_PORT",
          });
        } else labels.set(port.label, p);
      }
    });
  });
}

function checkTests(config: FactoryConfig, issues: PendingIssue[]): void {
  const names = new Map<string, number>();
  config.testing.tests.forEach((test, i) => {
    const first = names.get(test.name);
    if (first !== undefined) {
      issues.push({
        path: ["testing", "tests", i, "name"],
        message: `test "${test.name}" is already defined at testing.tests[${first}]; test names must be unique`,
      });
    } else names.set(test.name, i);
  });
}

function checkLabel(config: FactoryConfig, issues: PendingIssue[]): void {
  const templates: [ConfigPath, string][] = [];
  if (config.label.qrPayload !== undefined) templates.push([["label", "qr_payload"], config.label.qrPayload]);
  config.label.lines.forEach((line, i) => {
    templates.push([["label", "lines", i], line]);
  });
  for (const [where, template] of templates) {
    const { fields, unbalancedAt } = labelTemplateFields(template);
    if (unbalancedAt !== undefined) {
      issues.push({
        path: where,
        message: `unbalanced brace at character ${unbalancedAt + 1}; write {{ or }} for a literal brace`,
      });
    }
    for (const field of fields) {
      if (!(LABEL_FIELDS as readonly string[]).includes(field)) {
        issues.push({
          path: where,
          message: `unknown placeholder {${field}}${didYouMean(field, LABEL_FIELDS) || `; expected one of: ${LABEL_FIELDS.join(", ")}`}`,
        });
      }
    }
  }
}

async function checkImages(config: FactoryConfig, board: BoardConfig, issues: PendingIssue[]): Promise<void> {
  const at = (key: string): ConfigPath => ["board_configs", board.name, key];
  for (const region of board.regions) {
    const key = REGION_KEY[region.name];
    try {
      const info = await stat(region.path);
      if (!info.isFile()) {
        issues.push({ path: at(key), message: `${region.path} is not a file`, code: "FILE_NOT_FOUND" });
        continue;
      }
      if (info.size === 0) {
        issues.push({ path: at(key), message: `${region.path} is empty`, code: "IMAGE_INVALID" });
        continue;
      }
      region.size = info.size;
    } catch {
      issues.push({ path: at(key), message: `file not found: ${region.path}`, code: "FILE_NOT_FOUND" });
    }
  }

  const app = board.regions.find((r) => r.name === "app");
  const gate = config.qualityGates.maxFirmwareSize[board.name];
  if (app?.size !== undefined && gate !== undefined && app.size > gate) {
    issues.push({
      path: at("firmware_path"),
      message: `firmware ${path.basename(app.path)} is ${formatSize(app.size)} (${app.size} bytes), larger than its quality gate quality_gates.max_firmware_size.${board.name} of ${formatSize(gate)} (${gate} bytes)`,
      code: "IMAGE_TOO_LARGE",
    });
  }

  const sized = board.regions.filter((r) => r.size !== undefined).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sized.length; i++) {
    const before = sized[i - 1]!;
    const region = sized[i]!;
    if (before.offset + before.size! > region.offset) {
      issues.push({
        path: at(REGION_KEY[before.name]),
        message: `the ${before.name} image (${formatSize(before.size!)} at ${formatOffset(before.offset)}) overlaps the ${region.name} at ${formatOffset(region.offset)}`,
        code: "PLAN_INVALID",
      });
    }
  }
  if (board.flashSize !== undefined) {
    const base = FLASH_BASE[board.platform.toLowerCase()] ?? 0;
    for (const region of sized) {
      const end = region.offset - base + region.size!;
      if (end > board.flashSize) {
        issues.push({
          path: at(REGION_KEY[region.name]),
          message: `the ${region.name} image ends at ${formatOffset(end)}, beyond the ${formatSize(board.flashSize)} flash (flash_size)`,
          code: "IMAGE_TOO_LARGE",
        });
      }
    }
  }
}

type Problem = { message: string; code: string } | undefined;

async function checkDrivers(
  config: FactoryConfig,
  options: CheckOptions,
  explicitDrivers: ReadonlySet<string>,
  issues: PendingIssue[],
): Promise<void> {
  const checked = new Map<string, Problem>();
  for (const board of Object.values(config.boardConfigs)) {
    if (!board.driver) continue;
    throwIfAborted(options.signal);
    const where: ConfigPath = [
      "board_configs",
      board.name,
      explicitDrivers.has(board.name) ? "driver" : "platform",
    ];
    let problem = checked.get(board.driver);
    if (!checked.has(board.driver)) {
      problem = await driverProblem(board, config.baseDir, options);
      checked.set(board.driver, problem);
    }
    if (problem !== undefined) {
      issues.push({ path: where, ...problem });
    }
  }
}

async function driverProblem(board: BoardConfig, baseDir: string, options: CheckOptions): Promise<Problem> {
  const notInstalled = {
    message: `driver package ${board.driver} (for platform "${board.platform}") is not installed; install it with: pnpm add ${board.driver}`,
    code: "DRIVER_NOT_INSTALLED",
  };
  if (options.drivers !== "load") {
    return isPackageInstalled(board.driver, baseDir) ? undefined : notInstalled;
  }
  try {
    const factory = await loadDriverFactory("board", board.driver, {
      baseDir,
      ...(options.importer && { importer: options.importer }),
    });
    const platform = board.platform.toLowerCase();
    if (factory.families.length > 0 && !factory.families.includes(platform)) {
      return {
        message: `driver package ${board.driver} does not flash platform "${board.platform}"; it supports: ${factory.families.join(", ")}`,
        code: "DRIVER_INVALID",
      };
    }
    return undefined;
  } catch (error) {
    if (isFactoryError(error, "DRIVER_NOT_INSTALLED")) return notInstalled;
    const message = error instanceof Error ? error.message.replace(/^\[core\] /, "") : String(error);
    return { message, code: "DRIVER_INVALID" };
  }
}
