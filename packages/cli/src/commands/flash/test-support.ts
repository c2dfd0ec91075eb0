import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type FactoryConfig, loadConfig, type StationConfig } from "@factory/core";
import { createEspDriver } from "@factory/driver-esp";
import {
  createEspSimulator,
  EspSimBinding,
  type EspSimulator,
  type EspSimulatorOptions,
  makeFirmwareImage,
  makePartitionTable,
} from "@factory/driver-esp/simulator";
import { type ServeProcess, startServeProcess } from "../../../../server/src/testing/serve-process";

export type { ServeProcess };

import type { DriverSource } from "./station-setup";

/** The images `writeLine` writes: bootloader, partition table, a 128 KiB app and a 140 KiB one. */
export interface LineImages {
  app: string;
  big: string;
  boot: string;
  parts: string;
}

/** A station of a simulated line; `board` names a board config (default `esp32`). */
export interface LineStation {
  id: string;
  ports: readonly string[];
  board?: string;
}

/** An ESP32 board config on the line's images: the app image to flash, and driver settings. */
export interface LineBoard {
  /** Which image is the firmware (default `app`). */
  firmware?: "app" | "big";
  /** A YAML flow map: `{ connectAttempts: 2 }`. */
  settings?: string;
}

/** What differs between the simulated lines of the flash tests. */
export interface LineSpec {
  /** Top-level YAML before `stations:` (server URL, registration, batch id). */
  head?: string;
  stations: readonly LineStation[];
  /** Board configs by name (default one `esp32` on the app image). */
  boards?: Record<string, LineBoard>;
  /** `testing:` runs `boot_test` (`info` answers `OK` within 2 s) when true; off otherwise. */
  bootTest?: boolean;
  /** Top-level YAML after the rest (quality gates, logging). */
  tail?: string;
}

/** `count` simulated ESP32 port paths from `sim:esp32-<first>` on. */
export function simPorts(first: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `sim:esp32-${first + i}`);
}

/** The factory-config.yaml of a simulated ESP32 line, on the images `writeLine` wrote. */
export function lineYaml(img: LineImages, spec: LineSpec): string {
  const stations = spec.stations.map(
    (s) =>
      `  - station_id: "${s.id}"\n` +
      `    ports: [${s.ports.map((p) => `"${p}"`).join(", ")}]\n` +
      `    board_type: "${s.board ?? "esp32"}"\n`,
  );
  const boards = Object.entries(spec.boards ?? { esp32: {} }).map(
    ([name, b]) =>
      `  ${name}:\n` +
      `    platform: "esp32"\n` +
      `    flash_size: "4MB"\n` +
      `    firmware_path: "${img[b.firmware ?? "app"]}"\n` +
      `    bootloader_path: "${img.boot}"\n` +
      `    partition_table_path: "${img.parts}"\n` +
      (b.settings ? `    settings: ${b.settings}\n` : ""),
  );
  const testing = spec.bootTest
    ? "testing:\n  enabled: true\n  tests:\n" +
      "    - { name: boot_test, command: info, expected_response: OK, timeout: 2 }\n"
    : "testing: { enabled: false }\n";
  return [
    spec.head ? `${spec.head.trim()}\n` : "",
    `stations:\n${stations.join("")}`,
    `board_configs:\n${boards.join("")}`,
    testing,
    spec.tail ? `${spec.tail.trim()}\n` : "",
  ].join("");
}

/**
 * Writes ESP images and a factory-config.yaml into `dir` and loads it: the YAML from a line
 * spec (`lineYaml`), or written by `yaml` from the images' paths.
 */
export async function writeLine(
  dir: string,
  yaml: LineSpec | ((images: LineImages) => string),
): Promise<FactoryConfig> {
  const images = path.join(dir, "images");
  mkdirSync(images, { recursive: true });
  const files: LineImages = {
    boot: path.join(images, "bootloader.bin"),
    parts: path.join(images, "partitions.bin"),
    app: path.join(images, "app.bin"),
    big: path.join(images, "big.bin"),
  };
  writeFileSync(files.boot, makeFirmwareImage({ size: 24 * 1024, seed: 1 }));
  writeFileSync(files.parts, makePartitionTable(0x100000));
  writeFileSync(files.app, makeFirmwareImage({ size: 128 * 1024, seed: 2 }));
  writeFileSync(files.big, makeFirmwareImage({ size: 140 * 1024, seed: 3 }));
  const file = path.join(dir, "factory-config.yaml");
  writeFileSync(file, typeof yaml === "function" ? yaml(files) : lineYaml(files, yaml));
  return loadConfig(file, { cwd: dir });
}

/** Replaces the `big` image after the config was checked: the gate must hold at flash time too. */
export function growBigImage(dir: string): void {
  writeFileSync(path.join(dir, "images", "big.bin"), makeFirmwareImage({ size: 160 * 1024, seed: 3 }));
}

/** Simulated stations: every port an ESP simulator, faults chosen per station and port. */
export function simulatedDrivers(
  options: (station: StationConfig, index: number) => EspSimulatorOptions = () => ({}),
): { drivers: DriverSource; bindings: Map<string, EspSimBinding>; sims: Map<string, EspSimulator> } {
  const bindings = new Map<string, EspSimBinding>();
  const sims = new Map<string, EspSimulator>();
  const drivers: DriverSource = async (board, station, stationIndex) => {
    const binding = new EspSimBinding();
    for (const [i, port] of station.ports.entries()) {
      const sim = await createEspSimulator({
        chip: "esp32",
        mac: `24:0a:c4:${stationIndex.toString(16).padStart(2, "0")}:00:${i.toString(16).padStart(2, "0")}`,
        ...options(station, i),
      });
      binding.add(port.path, sim);
      sims.set(`${station.stationId}/${port.path}`, sim);
    }
    bindings.set(station.stationId, binding);
    return createEspDriver({ ...(board.settings as object), binding });
  };
  return { drivers, bindings, sims };
}

export const ADMIN_TOKEN = "flash-line-admin-token-0123456789";

/** GETs a server URL with the admin token. */
export function adminGet(url: string): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
}

/** Runs the reference server (`factory serve`) in a child process on a free loopback port. */
export function startServer(dir: string): Promise<ServeProcess> {
  return startServeProcess({ dir, adminToken: ADMIN_TOKEN, masterKey: "22".repeat(32) });
}
