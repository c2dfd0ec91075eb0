import { readFile } from "node:fs/promises";
import {
  type BoardConfig,
  type BoardDriver,
  type ConsoleTest,
  createError,
  createStation,
  type FactoryConfig,
  type FlashPlan,
  type Logger,
  loadBoardDriver,
  type ProvisionOptions,
  type RecordSink,
  type Registrar,
  type Station,
  type StationConfig,
} from "@factory/core";
import { createSimulatedDriver, isSimPort } from "./sim-ports";

/** Creates the driver of one station; injected by tests and the bench, default from config. */
export type DriverSource = (
  board: BoardConfig,
  station: StationConfig,
  stationIndex: number,
) => Promise<BoardDriver>;

export interface StationSetupOptions {
  config: FactoryConfig;
  /** Station ids to run (`--station`); all when empty. */
  stationIds: readonly string[];
  testMode: boolean;
  logger: Logger;
  drivers?: DriverSource;
  registrar?: Registrar;
  recorder?: RecordSink;
  label?: ProvisionOptions["label"];
  /** Simulator timing for `sim:` ports. */
  simTiming?: "instant" | "real";
}

export interface LineStation {
  station: Station;
  board: BoardConfig;
  driver: BoardDriver;
}

/** The stations to run, each with its driver, flash plan, gates, console tests and retry policy. */
export async function setUpStations(options: StationSetupOptions): Promise<LineStation[]> {
  const { config } = options;
  const unknown = options.stationIds.filter((id) => !config.stations.some((s) => s.stationId === id));
  if (unknown.length > 0) {
    throw createError(
      "cli",
      "USAGE_ERROR",
      `unknown station ${unknown.join(", ")}; the config has ${config.stations.map((s) => s.stationId).join(", ") || "no stations"}`,
      { retryable: false },
    );
  }
  const chosen = config.stations
    .map((station, index) => ({ station, index }))
    .filter(
      ({ station }) => options.stationIds.length === 0 || options.stationIds.includes(station.stationId),
    );
  if (chosen.length === 0)
    throw createError("cli", "CONFIG_INVALID", "the config has no stations", { retryable: false });

  const plans = new Map<string, FlashPlan>();
  const created: LineStation[] = [];
  try {
    for (const { station, index } of chosen) {
      const board = config.boardConfigs[station.boardType];
      if (!board) {
        throw createError(
          "cli",
          "CONFIG_INVALID",
          `station ${station.stationId} names unknown board type ${station.boardType}`,
          {
            retryable: false,
          },
        );
      }
      let plan = plans.get(board.name);
      if (!plan) {
        plan = await loadPlan(board);
        plans.set(board.name, plan);
      }
      const driver = await (options.drivers ?? defaultDrivers(options))(board, station, index);
      const s = createStation({
        id: station.stationId,
        driver,
        ports: station.ports,
        boardType: station.boardType,
        plan,
        logger: options.logger,
        ...(config.batchId !== undefined && { batchId: () => config.batchId! }),
        pipeline: {
          mode: options.testMode ? "identify" : "provision",
          settings: board.settings,
          tests: consoleTests(config),
          gates: {
            ...(config.qualityGates.maxFirmwareSize[station.boardType] !== undefined && {
              maxFirmwareSize: config.qualityGates.maxFirmwareSize[station.boardType],
            }),
            maxFlashTimeMs: config.qualityGates.maxFlashTimeMs,
          },
          retry: { maxAttempts: config.qualityGates.maxRetryAttempts },
          ...(!options.testMode && options.registrar && { registrar: options.registrar }),
          ...(!options.testMode && options.recorder && { recorder: options.recorder }),
          ...(!options.testMode && options.label && { label: options.label }),
        },
      });
      created.push({ station: s, board, driver });
    }
  } catch (error) {
    await Promise.allSettled(created.map((c) => c.driver.dispose?.()));
    throw error;
  }
  return created;
}

function defaultDrivers(options: StationSetupOptions): DriverSource {
  return (board, station, index) => {
    if (station.ports.some(isSimPort)) {
      return createSimulatedDriver(board, index, station.ports, {
        baseDir: options.config.baseDir,
        logger: options.logger,
        ...(options.simTiming && { timing: options.simTiming }),
      });
    }
    return loadBoardDriver(board.driver, board.settings, {
      baseDir: options.config.baseDir,
      logger: options.logger,
    });
  };
}

function consoleTests(config: FactoryConfig): ConsoleTest[] {
  if (!config.testing.enabled) return [];
  return config.testing.tests.map((t) => ({
    name: t.name,
    command: t.command,
    expect: t.expectedResponse,
    timeoutMs: t.timeoutMs,
  }));
}

/**
 * Reads the board's images once; every device of the batch shares them. Each region gets its own
 * driver cache (drivers keep one prepared form per region in it, e.g. the ESP deflated image).
 */
async function loadPlan(board: BoardConfig): Promise<FlashPlan> {
  const regions = await Promise.all(
    board.regions.map(async (region) => {
      let data: Buffer;
      try {
        data = await readFile(region.path);
      } catch (cause) {
        throw createError("cli", "CONFIG_INVALID", `cannot read ${region.name} image ${region.path}`, {
          cause,
          retryable: false,
        });
      }
      return {
        name: region.name,
        offset: region.offset,
        data: new Uint8Array(data),
        scope: "shared" as const,
        cache: new Map<string, unknown>(),
      };
    }),
  );
  return { regions };
}
