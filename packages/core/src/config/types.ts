import type { PortRef } from "../contracts/port";
import type { LogLevel } from "../logger";

/**
 * A config as written: the seed's `factory-config.yaml` keys (snake_case) plus the optional
 * extensions a plant needs. `defineConfig()` takes this shape, so a `factory.config.ts` reads like
 * the YAML. Sizes are `"4MB"`-style text or bytes; offsets are numbers or `"0x10000"`; times are seconds.
 */
export interface FactoryConfigInput {
  provisioning_service_url?: string;
  ota_service_url?: string;
  device_service_url?: string;
  /** Where and how units are registered. The token itself lives in an environment variable. */
  registration?: {
    /** Defaults to `provisioning_service_url`. */
    url?: string;
    /** Name of the environment variable holding the bearer token (never the token itself). */
    token_env?: string;
    /** Seconds per registration request. */
    timeout?: number;
  };
  /** Batch id written to records; a date-based one is made when absent. */
  batch_id?: string;
  /** Where records, batch reports and the log go. Defaults to the config file's directory. */
  output_dir?: string;
  stations?: StationInput[];
  board_configs?: Record<string, BoardConfigInput>;
  quality_gates?: {
    /** Largest app image per board type (key of `board_configs`). */
    max_firmware_size?: Record<string, string | number>;
    /** Seconds a whole flash may take. */
    max_flash_time?: number;
    max_retry_attempts?: number;
  };
  testing?: {
    enabled?: boolean;
    tests?: { name: string; command: string; expected_response: string; timeout?: number }[];
  };
  logging?: {
    /** DEBUG, INFO, WARNING, ERROR (any case). */
    level?: string;
    console_output?: boolean;
    max_file_size?: string | number;
    backup_count?: number;
    /** Log file; defaults to `factory-provisioning.log` in `output_dir`. */
    file?: string;
  };
  label?: {
    /** QR payload template, e.g. `https://pair.example.com/{device_id}?p={password}`. */
    qr_payload?: string;
    /** Text lines printed beside the QR, templates like `qr_payload`. */
    lines?: string[];
    /** Printer name for the labeling station. */
    printer?: string;
  };
}

export interface StationInput {
  station_id: string;
  /** Serial paths or USB locations; `{ path, label }` names the slot for operators. */
  ports: (string | { path: string; label?: string })[];
  /** Key of `board_configs`. */
  board_type: string;
}

export interface BoardConfigInput {
  /** `esp32`, `esp8266`, `esp32s3`, `stm32`, `rp2040`, `avr`… */
  platform: string;
  board_model?: string;
  flash_size?: string | number;
  firmware_path: string;
  bootloader_path?: string;
  partition_table_path?: string;
  /** Driver package; defaults by platform (`@factory/driver-esp` for the ESP family). */
  driver?: string;
  /** Flash offsets of the regions; ESP defaults are filled in. */
  offsets?: { bootloader?: string | number; partition_table?: string | number; app?: string | number };
  /** Passed to the driver as is (`baud`, `reset`, …). */
  settings?: { baud?: number; reset?: string; [key: string]: unknown };
}

/** The normalized config: camelCase, absolute paths, numbers as numbers, defaults filled. */
export interface FactoryConfig {
  /** Absolute path of the file it was loaded from, when it came from a file. */
  file?: string;
  /** Directory relative paths were resolved against. */
  baseDir: string;
  provisioningServiceUrl?: string;
  otaServiceUrl?: string;
  deviceServiceUrl?: string;
  registration: RegistrationConfig;
  batchId?: string;
  /** Absolute. */
  outputDir: string;
  stations: StationConfig[];
  boardConfigs: Record<string, BoardConfig>;
  qualityGates: QualityGatesConfig;
  testing: TestingConfig;
  logging: LoggingConfig;
  label: LabelConfig;
}

export interface RegistrationConfig {
  /** `registration.url`, else `provisioning_service_url`. */
  url?: string;
  /** Environment variable holding the token. Read it when registering; it is never stored here. */
  tokenEnv?: string;
  timeoutMs: number;
}

export interface StationConfig {
  stationId: string;
  boardType: string;
  ports: PortRef[];
}

/** A region of the flash plan: its image file and where it goes. */
export interface ImageRegionConfig {
  /** Region name as in {@link FlashRegion.name}: `bootloader`, `partition-table`, `app`. */
  name: "bootloader" | "partition-table" | "app";
  /** Absolute path of the image file. */
  path: string;
  offset: number;
  /** File size in bytes (known after the files were checked). */
  size?: number;
}

export interface BoardConfig {
  /** Key in `board_configs`: what stations name as `board_type`. */
  name: string;
  platform: string;
  boardModel?: string;
  /** Bytes. */
  flashSize?: number;
  /** Driver package name. */
  driver: string;
  firmwarePath: string;
  bootloaderPath?: string;
  partitionTablePath?: string;
  offsets: { bootloader?: number; partitionTable?: number; app: number };
  /** Bootloader, partition table and app in flash order, only those configured. */
  regions: ImageRegionConfig[];
  settings: Record<string, unknown>;
}

export interface QualityGatesConfig {
  /** Bytes, by board type. */
  maxFirmwareSize: Record<string, number>;
  maxFlashTimeMs: number;
  maxRetryAttempts: number;
}

export interface ConsoleTestConfig {
  name: string;
  command: string;
  expectedResponse: string;
  timeoutMs: number;
}

export interface TestingConfig {
  enabled: boolean;
  tests: ConsoleTestConfig[];
}

export interface LoggingConfig {
  level: LogLevel;
  consoleOutput: boolean;
  /** Bytes. */
  maxFileSize: number;
  backupCount: number;
  /** Absolute. */
  file: string;
}

export interface LabelConfig {
  qrPayload?: string;
  lines: string[];
  printer?: string;
}
