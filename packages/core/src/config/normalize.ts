import path from "node:path";
import type { PortRef } from "../contracts/port";
import type { LogLevel } from "../logger";
import { DEFAULT_BOARD_PACKAGES } from "../plugin";
import { didYouMean } from "./did-you-mean";
import type { ConfigPath } from "./issues";
import { defaultOffsets, KNOWN_PLATFORMS } from "./platform-defaults";
import type { ParsedConfigFile } from "./schema";
import type { BoardConfig, FactoryConfig, ImageRegionConfig } from "./types";

/** A problem not yet located in the source text. */
export interface PendingIssue {
  path: ConfigPath;
  message: string;
  code?: string;
  /** Point at the key rather than the value. */
  key?: boolean;
  /** Another place the problem depends on (the board config a station names). */
  refersTo?: ConfigPath;
}

export interface NormalizeContext {
  baseDir: string;
  file?: string;
}

const LEVELS: Readonly<Record<string, LogLevel>> = {
  debug: "debug",
  info: "info",
  warning: "warn",
  warn: "warn",
  error: "error",
  critical: "error",
};

/** Turns the validated file into a {@link FactoryConfig}: camelCase, absolute paths, defaults. */
export function normalizeConfig(
  raw: ParsedConfigFile,
  context: NormalizeContext,
): { config: FactoryConfig; issues: PendingIssue[] } {
  const issues: PendingIssue[] = [];
  const abs = (p: string): string => path.resolve(context.baseDir, p);
  const outputDir = abs(raw.output_dir ?? ".");

  const boardConfigs: Record<string, BoardConfig> = {};
  for (const [name, board] of Object.entries(raw.board_configs ?? {})) {
    const at = (...rest: (string | number)[]): ConfigPath => ["board_configs", name, ...rest];
    const defaults = defaultOffsets(board.platform, board.bootloader_path !== undefined);
    const driver = board.driver ?? DEFAULT_BOARD_PACKAGES[board.platform.toLowerCase()];
    if (driver === undefined) {
      issues.push({
        path: at("platform"),
        message: `no driver is known for platform "${board.platform}"${didYouMean(board.platform, KNOWN_PLATFORMS)}; name the driver package with "driver"`,
        code: "DRIVER_UNKNOWN",
      });
    }
    const offsets = {
      bootloader: board.offsets?.bootloader ?? defaults?.bootloader,
      partitionTable: board.offsets?.partition_table ?? defaults?.partitionTable,
      app: board.offsets?.app ?? defaults?.app,
    };
    const regions: ImageRegionConfig[] = [];
    const region = (
      name: ImageRegionConfig["name"],
      file: string | undefined,
      offset: number | undefined,
      key: string,
      offsetKey: string,
    ): void => {
      if (file === undefined) return;
      if (offset === undefined) {
        issues.push({
          path: at(key),
          message: `no default flash offset for the ${name} on platform "${board.platform}"; set offsets.${offsetKey}`,
          code: "OFFSET_MISSING",
        });
        return;
      }
      regions.push({ name, path: abs(file), offset });
    };
    region("bootloader", board.bootloader_path, offsets.bootloader, "bootloader_path", "bootloader");
    region(
      "partition-table",
      board.partition_table_path,
      offsets.partitionTable,
      "partition_table_path",
      "partition_table",
    );
    region("app", board.firmware_path, offsets.app, "firmware_path", "app");

    boardConfigs[name] = {
      name,
      platform: board.platform,
      ...(board.board_model !== undefined && { boardModel: board.board_model }),
      ...(board.flash_size !== undefined && { flashSize: board.flash_size }),
      driver: driver ?? "",
      firmwarePath: abs(board.firmware_path),
      ...(board.bootloader_path !== undefined && { bootloaderPath: abs(board.bootloader_path) }),
      ...(board.partition_table_path !== undefined && {
        partitionTablePath: abs(board.partition_table_path),
      }),
      offsets: {
        ...(offsets.bootloader !== undefined &&
          board.bootloader_path !== undefined && { bootloader: offsets.bootloader }),
        ...(offsets.partitionTable !== undefined &&
          board.partition_table_path !== undefined && { partitionTable: offsets.partitionTable }),
        app: offsets.app ?? 0,
      },
      regions,
      settings: { ...(board.settings ?? {}) },
    };
  }

  const stations = (raw.stations ?? []).map((station) => ({
    stationId: station.station_id,
    boardType: station.board_type,
    ports: station.ports.map(
      (p): PortRef =>
        typeof p === "string" ? { path: p } : { path: p.path, ...(p.label && { label: p.label }) },
    ),
  }));

  const registrationUrl = raw.registration?.url ?? raw.provisioning_service_url;
  const config: FactoryConfig = {
    ...(context.file !== undefined && { file: context.file }),
    baseDir: context.baseDir,
    ...(raw.provisioning_service_url !== undefined && {
      provisioningServiceUrl: raw.provisioning_service_url,
    }),
    ...(raw.ota_service_url !== undefined && { otaServiceUrl: raw.ota_service_url }),
    ...(raw.device_service_url !== undefined && { deviceServiceUrl: raw.device_service_url }),
    registration: {
      ...(registrationUrl !== undefined && { url: registrationUrl }),
      ...(raw.registration?.token_env !== undefined && { tokenEnv: raw.registration.token_env }),
      timeoutMs: seconds(raw.registration?.timeout ?? 10),
    },
    ...(raw.batch_id !== undefined && { batchId: raw.batch_id }),
    outputDir,
    stations,
    boardConfigs,
    qualityGates: {
      maxFirmwareSize: { ...(raw.quality_gates?.max_firmware_size ?? {}) },
      maxFlashTimeMs: seconds(raw.quality_gates?.max_flash_time ?? 120),
      maxRetryAttempts: raw.quality_gates?.max_retry_attempts ?? 3,
    },
    testing: {
      enabled: raw.testing?.enabled ?? true,
      tests: (raw.testing?.tests ?? []).map((test) => ({
        name: test.name,
        command: test.command,
        expectedResponse: test.expected_response,
        timeoutMs: seconds(test.timeout ?? 5),
      })),
    },
    logging: {
      level: LEVELS[raw.logging?.level ?? "info"] ?? "info",
      consoleOutput: raw.logging?.console_output ?? true,
      maxFileSize: raw.logging?.max_file_size ?? 10 * 1024 * 1024,
      backupCount: raw.logging?.backup_count ?? 5,
      file:
        raw.logging?.file !== undefined
          ? abs(raw.logging.file)
          : path.join(outputDir, "factory-provisioning.log"),
    },
    label: {
      ...(raw.label?.qr_payload !== undefined && { qrPayload: raw.label.qr_payload }),
      lines: [...(raw.label?.lines ?? [])],
      ...(raw.label?.printer !== undefined && { printer: raw.label.printer }),
    },
  };
  return { config, issues };
}

function seconds(value: number): number {
  return Math.round(value * 1000);
}
