import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  type BoardConfig,
  type BoardDriver,
  createError,
  type Logger,
  loadBoardDriver,
  type PortRef,
} from "@factory/core";

/** Ports named `sim:<chip>-<n>` (`sim:esp32-0`) are ESP simulators in this process: no hardware needed. */
export const SIM_PREFIX = "sim:";

export function isSimPort(port: PortRef): boolean {
  return port.path.startsWith(SIM_PREFIX);
}

const SIM_CHIPS = new Set(["esp32", "esp8266", "esp32s2", "esp32s3", "esp32c3", "esp32c6"]);

/** The chip a simulated port stands for: `sim:esp32s3-2` → `esp32s3`; `undefined` when not one. */
export function simChipOf(port: PortRef): string | undefined {
  const match = /^sim:([a-z0-9]+)-\d+$/.exec(port.path);
  return match && SIM_CHIPS.has(match[1]!) ? match[1] : undefined;
}

/** A stable, locally administered-looking MAC per station and port index (Espressif OUI 24:0a:c4). */
export function simMac(stationIndex: number, portIndex: number): string {
  const b = [stationIndex & 0xff, (portIndex >> 8) & 0xff, portIndex & 0xff];
  return ["24", "0a", "c4", ...b.map((x) => x.toString(16).padStart(2, "0"))].join(":");
}

interface SimModule {
  createEspSimulator(options: Record<string, unknown>): Promise<unknown>;
  EspSimBinding: new () => { add(path: string, sim: unknown): unknown };
}

/**
 * Creates the station's driver with every `sim:` port backed by an ESP simulator speaking the
 * ROM and stub protocol in-process. Only the ESP driver ships this binding; another driver
 * package, or a station mixing simulated and real ports, is refused (`CONFIG_INVALID`).
 */
export async function createSimulatedDriver(
  board: BoardConfig,
  stationIndex: number,
  ports: readonly PortRef[],
  options: { baseDir: string; logger: Logger; timing?: "instant" | "real" },
): Promise<BoardDriver> {
  for (const port of ports) {
    if (!simChipOf(port)) {
      throw createError(
        "cli",
        "CONFIG_INVALID",
        `Port ${port.path}: simulated ports are named sim:<chip>-<n> (chip esp32, esp8266, esp32s2, esp32s3, esp32c3 or esp32c6), and a station cannot mix simulated and real ports`,
        { details: { port: port.path }, retryable: false },
      );
    }
  }
  const mod = (await importFrom(`${board.driver}/simulator`, options.baseDir)) as Partial<SimModule>;
  if (typeof mod.createEspSimulator !== "function" || typeof mod.EspSimBinding !== "function") {
    throw createError(
      "cli",
      "CONFIG_INVALID",
      `${board.driver} has no in-process simulator; sim: ports need @factory/driver-esp`,
      { details: { driver: board.driver }, retryable: false },
    );
  }
  const binding = new mod.EspSimBinding();
  for (const [i, port] of ports.entries()) {
    const sim = await mod.createEspSimulator({
      chip: simChipOf(port),
      mac: simMac(stationIndex, i),
      timing: options.timing ?? "instant",
      seed: stationIndex * 1000 + i + 1,
    });
    binding.add(port.path, sim);
  }
  return loadBoardDriver(
    board.driver,
    { ...board.settings, binding },
    { baseDir: options.baseDir, logger: options.logger },
  );
}

async function importFrom(specifier: string, baseDir: string): Promise<unknown> {
  try {
    const resolved = createRequire(path.join(baseDir, "__factory_flash__.js")).resolve(specifier);
    return await import(pathToFileURL(resolved).href);
  } catch {
    try {
      return await import(specifier);
    } catch (cause) {
      throw createError(
        "cli",
        "DRIVER_NOT_INSTALLED",
        `install ${specifier.replace(/\/simulator$/, "")} to use sim: ports`,
        {
          cause,
          retryable: false,
        },
      );
    }
  }
}
