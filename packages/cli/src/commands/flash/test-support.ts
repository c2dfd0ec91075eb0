import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
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
import type { DriverSource } from "./station-setup";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../../../..");
const serveMain = path.join(repoRoot, "packages/server/src/testing/serve-main.ts");

/** Writes ESP images and a factory-config.yaml into `dir` and loads it. */
export async function writeLine(
  dir: string,
  yaml: (images: { app: string; big: string; boot: string; parts: string }) => string,
): Promise<FactoryConfig> {
  const images = path.join(dir, "images");
  mkdirSync(images, { recursive: true });
  const files = {
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
  writeFileSync(file, yaml(files));
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

/** Runs the reference server (`factory serve`) in a child process on a free loopback port. */
export function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", serveMain, "--port", "0", "--host", "127.0.0.1"],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        FACTORY_DATABASE_URL: path.join(dir, "factory.db"),
        FACTORY_MASTER_KEY: "22".repeat(32),
        FACTORY_ADMIN_TOKEN: ADMIN_TOKEN,
        FACTORY_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 45_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${code}: ${out}`));
    });
  });
}
