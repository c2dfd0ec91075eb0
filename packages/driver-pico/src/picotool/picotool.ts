import { ErrorCodes, isFactoryError, type SignalOptions } from "@factory/core";
import { picoError } from "../errors";
import { PICOTOOL_RC } from "./exit-codes";
import { type PicotoolDeviceInfo, parseInfo } from "./info";
import { type PicotoolProgress, ProgressParser } from "./progress";
import type { PicotoolExec } from "./runner";

/**
 * Which device a command talks to. On a line with several RP2040s in BOOTSEL, `bus` + `address`
 * is the only selector that works: they all report the same USB serial number.
 */
export interface DeviceSelector {
  bus?: number;
  address?: number;
  /** USB serial number: unique for RP2350, and for pico-sdk applications (their flash id). */
  serial?: string;
}

export interface LoadOptions extends SignalOptions {
  /** File type; default from the extension. */
  type?: "uf2" | "elf" | "bin";
  /** Load address for a BIN file (default 0x10000000). */
  offset?: number;
  /** `-v`: read back and compare after writing. */
  verify?: boolean;
  /** `-x`: reboot into the application afterwards. */
  execute?: boolean;
  /** `-u`: skip flash sectors whose content already matches. */
  skipIdentical?: boolean;
  onProgress?: (progress: PicotoolProgress) => void;
  timeoutMs?: number;
}

export interface LoadResult {
  /** `-v` was given and picotool printed `OK`. */
  verified: boolean;
  /** `-x` was given and the device rebooted into the application. */
  executed: boolean;
}

export interface CommandOptions extends SignalOptions {
  timeoutMs?: number;
  onProgress?: (progress: PicotoolProgress) => void;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** Throughput floor for sizing timeouts of data commands (picotool moves ~100+ KB/s over USB). */
const MIN_BYTES_PER_MS = 20;

/** A timeout for a command moving `bytes`: the base plus the time at a pessimistic rate. */
export function timeoutFor(bytes: number, baseMs = DEFAULT_TIMEOUT_MS): number {
  return baseMs + Math.ceil(bytes / MIN_BYTES_PER_MS);
}

const hex = (n: number) => `0x${n.toString(16)}`;

/**
 * picotool 2.x as typed calls: `info`, `load`, `verify`, `save`, `reboot`, `version`. Every call
 * is bounded and cancellable; failures are coded errors (see `picotoolFailure`).
 *
 * @example
 * const picotool = new Picotool(createPicotoolExec());
 * const [info] = await picotool.info({ bus: 1, address: 7 });
 * await picotool.load("blink.uf2", { verify: true, execute: true }, { bus: 1, address: 7 });
 */
export class Picotool {
  constructor(private readonly exec: PicotoolExec) {}

  /** `picotool info -a` (all groups) or `-d` (device only). One entry per device found. */
  async info(
    selector: DeviceSelector = {},
    options: CommandOptions & { groups?: "all" | "device" } = {},
  ): Promise<PicotoolDeviceInfo[]> {
    const args = ["info", options.groups === "device" ? "-d" : "-a", ...selectorArgs(selector)];
    const { output } = await this.exec(args, run(options, DEFAULT_TIMEOUT_MS));
    const devices = parseInfo(output);
    if (devices.length === 0) {
      throw picoError(ErrorCodes.PROTOCOL_ERROR, "picotool info printed no device information", {
        details: { output: output.slice(-2000) },
      });
    }
    return devices;
  }

  /** `picotool load`: writes a UF2, ELF or BIN file. */
  async load(file: string, options: LoadOptions = {}, selector: DeviceSelector = {}): Promise<LoadResult> {
    const args = ["load"];
    if (options.skipIdentical) args.push("-u");
    if (options.verify) args.push("-v");
    if (options.execute) args.push("-x");
    args.push(file);
    if (options.type) args.push("-t", options.type);
    if (options.offset !== undefined) args.push("-o", hex(options.offset));
    args.push(...selectorArgs(selector));
    const { output } = await this.exec(args, run(options, options.timeoutMs ?? timeoutFor(16 << 20)));
    if (options.verify && !/^\s*OK\s*$/m.test(output)) {
      throw picoError(ErrorCodes.PROTOCOL_ERROR, "picotool load -v ended without reporting OK", {
        details: { output: output.slice(-2000) },
      });
    }
    return {
      verified: options.verify === true,
      executed: options.execute === true && /rebooted to start the application/.test(output),
    };
  }

  /**
   * `picotool verify`: compares the device with a file. Resolves `{ ok: false }` on a mismatch
   * (picotool's `FAILED`, rc −11) instead of rejecting.
   */
  async verify(
    file: string,
    options: CommandOptions & { type?: "uf2" | "elf" | "bin"; offset?: number } = {},
    selector: DeviceSelector = {},
  ): Promise<{ ok: boolean }> {
    const args = ["verify", file];
    if (options.type) args.push("-t", options.type);
    if (options.offset !== undefined) args.push("-o", hex(options.offset));
    args.push(...selectorArgs(selector));
    try {
      const { output } = await this.exec(args, run(options, options.timeoutMs ?? timeoutFor(16 << 20)));
      return { ok: /^\s*OK\s*$/m.test(output) };
    } catch (error) {
      if (
        isFactoryError(error, ErrorCodes.VERIFY_FAILED) &&
        error.details.rc === PICOTOOL_RC.VERIFICATION_FAILED
      ) {
        return { ok: false };
      }
      throw error;
    }
  }

  /** `picotool save -r from to file` (a range) or `save -a file` (all of flash), as a BIN file. */
  async save(
    file: string,
    what: { range: [number, number] } | "all" | "program",
    options: CommandOptions = {},
    selector: DeviceSelector = {},
  ): Promise<void> {
    const args = ["save"];
    if (what === "all") args.push("-a");
    else if (what === "program") args.push("-p");
    else args.push("-r", hex(what.range[0]), hex(what.range[1]));
    args.push(file, "-t", "bin", ...selectorArgs(selector));
    const bytes = typeof what === "object" ? what.range[1] - what.range[0] : 16 << 20;
    await this.exec(args, run(options, options.timeoutMs ?? timeoutFor(bytes)));
  }

  /** `picotool reboot` (application) or `reboot -u` (BOOTSEL). */
  async reboot(
    mode: "application" | "bootsel",
    selector: DeviceSelector = {},
    options: CommandOptions = {},
  ): Promise<void> {
    const args = ["reboot", ...(mode === "bootsel" ? ["-u"] : []), ...selectorArgs(selector)];
    const { output } = await this.exec(args, run(options, DEFAULT_TIMEOUT_MS));
    const expected = mode === "bootsel" ? /rebooted into BOOTSEL mode/ : /rebooted into application mode/;
    if (!expected.test(output)) {
      throw picoError(
        ErrorCodes.PROTOCOL_ERROR,
        `picotool reboot did not confirm the reboot into ${mode} mode`,
        {
          details: { output: output.slice(-2000) },
        },
      );
    }
  }

  /** `picotool version`: the version string (`2.3.0`). */
  async version(options: CommandOptions = {}): Promise<string> {
    const { output } = await this.exec(["version"], run(options, DEFAULT_TIMEOUT_MS));
    const v = /picotool v?(\d+\.\d+\.\d+\S*)/.exec(output)?.[1];
    if (!v)
      throw picoError(ErrorCodes.PROTOCOL_ERROR, `picotool version printed no version: ${output.trim()}`);
    return v;
  }
}

function selectorArgs(selector: DeviceSelector): string[] {
  const args: string[] = [];
  if (selector.bus !== undefined) args.push("--bus", String(selector.bus));
  if (selector.address !== undefined) args.push("--address", String(selector.address));
  if (selector.serial !== undefined) args.push("--ser", selector.serial);
  return args;
}

function run(options: CommandOptions, dflt: number) {
  const parser = options.onProgress ? new ProgressParser(options.onProgress) : undefined;
  return {
    timeoutMs: options.timeoutMs ?? dflt,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(parser ? { onOutput: (chunk: string) => parser.push(chunk) } : {}),
  };
}
