import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type BoardSession,
  type DeviceIdentity,
  ErrorCodes,
  type FlashOptions,
  type FlashPlan,
  type FlashResult,
  type LineConsole,
  type Logger,
  type PortRef,
  type RegionResult,
  type ResetMode,
  type SignalOptions,
  throwIfAborted,
  toFactoryError,
  type VerifyResult,
} from "@factory/core";
import { createLineConsole, openSerialLink } from "@factory/serial";
import { PKG, picoError } from "../errors";
import { FAMILIES, type PicoFamily } from "../families";
import { type DeviceSelector, type Picotool, timeoutFor } from "../picotool/picotool";
import { flashThroughDrive } from "./drive-flash";
import { ensureBootsel, slotState, waitForSlot } from "./locate";
import type { ResolvedPicoOptions } from "./options";
import { type PreparedRegion, prepareRegions, sha256 } from "./regions";
import { resetBoard } from "./reset";

/** One open board at one USB location. */
export class PicoSession implements BoardSession {
  private closed = false;
  private identity: DeviceIdentity | undefined;
  private tmp: string | undefined;
  private consoles = new Set<LineConsole>();

  constructor(
    readonly port: PortRef,
    private readonly location: string,
    private family: PicoFamily,
    private readonly options: ResolvedPicoOptions,
    private readonly picotool: Picotool | undefined,
    private readonly logger: Logger,
    private readonly release: () => void,
    /** USB serial of the application seen at open (pico-sdk: the flash unique id). */
    private readonly appSerial: string | undefined,
  ) {}

  private alive(signal?: AbortSignal): void {
    throwIfAborted(signal, PKG);
    if (this.closed)
      throw picoError(ErrorCodes.INVALID_ARGUMENT, `The session on ${this.port.path} is closed`);
  }

  private tool(what: string): Picotool {
    if (!this.picotool) {
      throw picoError(
        ErrorCodes.NOT_SUPPORTED,
        `${what} needs picotool; this port uses the BOOTSEL drive transport`,
        {
          retryable: false,
        },
      );
    }
    return this.picotool;
  }

  /** The board in BOOTSEL, as picotool addresses it now (the address changes on every reboot). */
  private async selector(signal?: AbortSignal): Promise<DeviceSelector> {
    const { device, family } = await ensureBootsel(
      this.options,
      this.location,
      this.logger,
      signal ? { signal } : {},
    );
    this.family = family;
    return { bus: device.bus, address: device.address };
  }

  private async scratch(): Promise<string> {
    this.tmp ??= await mkdtemp(path.join(tmpdir(), "factory-pico-"));
    return this.tmp;
  }

  async identify(options: SignalOptions = {}): Promise<DeviceIdentity> {
    this.alive(options.signal);
    if (this.options.transport === "drive") return this.identifyFromUsb(options);
    const selector = await this.selector(options.signal);
    const [info] = await this.tool("identify").info(selector, {
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const device = info?.device;
    if (!device?.flashId || !device.family) {
      throw picoError(
        ErrorCodes.PROTOCOL_ERROR,
        `picotool info gave no chip type or flash id for USB ${this.location}`,
        {
          details: { device: info?.deviceGroup },
        },
      );
    }
    const identity: DeviceIdentity = {
      family: device.family,
      chip: device.type,
      uniqueId: device.flashId,
      extra: { usbLocation: this.location },
    };
    if (device.revision) identity.revision = device.revision;
    if (device.flashSize) identity.flashSize = device.flashSize;
    if (device.package) identity.extra!.package = device.package;
    if (device.chipId) identity.extra!.chipId = device.chipId;
    this.family = device.family;
    this.identity = identity;
    return identity;
  }

  private async identifyFromUsb(options: SignalOptions): Promise<DeviceIdentity> {
    const state = await slotState(this.options, this.location);
    throwIfAborted(options.signal, PKG);
    const bootselSerial = state.kind === "bootsel" ? state.device.serialNumber : undefined;
    // An RP2040 in BOOTSEL reports its bootrom's serial, the same on every chip: useless as identity.
    const uniqueId = this.appSerial ?? (this.family === "rp2350" ? bootselSerial : undefined);
    if (!uniqueId) {
      throw picoError(
        ErrorCodes.NOT_SUPPORTED,
        `Without picotool the identity of an RP2040 comes from its running application's USB serial; the board at USB ${this.location} was opened in BOOTSEL`,
        { retryable: false },
      );
    }
    const identity: DeviceIdentity = {
      family: this.family,
      chip: FAMILIES[this.family].chip,
      uniqueId: uniqueId.toLowerCase(),
      extra: { usbLocation: this.location },
    };
    this.identity = identity;
    return identity;
  }

  async flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    this.alive(options.signal);
    const identity =
      this.identity ?? (this.options.transport === "picotool" ? await this.identify(options) : undefined);
    const regions = prepareRegions(plan, this.family, identity?.flashSize);
    if (plan.eraseAll) {
      throw picoError(
        ErrorCodes.NOT_SUPPORTED,
        "eraseAll is not supported: picotool load rewrites only the sectors of each region",
        {
          retryable: false,
        },
      );
    }
    try {
      if (this.options.transport === "drive") {
        await this.selector(options.signal);
        return await flashThroughDrive(
          this.options,
          this.location,
          this.family,
          regions,
          options,
          this.logger,
        );
      }
      return await this.flashWithPicotool(regions, options);
    } catch (error) {
      throw toFactoryError(error, PKG);
    }
  }

  private async flashWithPicotool(regions: PreparedRegion[], options: FlashOptions): Promise<FlashResult> {
    const picotool = this.tool("flash");
    const started = performance.now();
    const results: RegionResult[] = [];
    let bytesWritten = 0;
    const signal = options.signal ? { signal: options.signal } : {};
    for (const [i, r] of regions.entries()) {
      const regionStart = performance.now();
      const file = path.join(await this.scratch(), `region-${i}.bin`);
      await writeFile(file, r.bytes);
      const selector = await this.selector(options.signal);
      const total = r.bytes.length;
      const load = { type: "bin" as const, offset: r.address, timeoutMs: timeoutFor(total), ...signal };
      if (this.options.skipUnchanged && (await picotool.verify(file, load, selector)).ok) {
        options.onProgress?.({ region: r.region.name, phase: "skip", bytesDone: total, bytesTotal: total });
        results.push({
          name: r.region.name,
          offset: r.region.offset,
          size: total,
          skipped: true,
          durationMs: performance.now() - regionStart,
        });
        continue;
      }
      await picotool.load(
        file,
        {
          ...load,
          skipIdentical: true,
          verify: this.options.verifyOnLoad,
          onProgress: (p) => {
            const phase = p.phase === "verify" ? "verify" : "write";
            const bytesDone = Math.round((p.percent / 100) * total);
            options.onProgress?.({ region: r.region.name, phase, bytesDone, bytesTotal: total });
          },
        },
        selector,
      );
      bytesWritten += total;
      results.push({
        name: r.region.name,
        offset: r.region.offset,
        size: total,
        skipped: false,
        durationMs: performance.now() - regionStart,
      });
    }
    return { regions: results, bytesWritten, durationMs: performance.now() - started };
  }

  async verify(plan: FlashPlan, options: FlashOptions = {}): Promise<VerifyResult> {
    this.alive(options.signal);
    const picotool = this.tool("verify");
    const identity = this.identity ?? (await this.identify(options));
    const regions = prepareRegions(plan, this.family, identity.flashSize);
    const out: VerifyResult["regions"] = [];
    try {
      for (const [i, r] of regions.entries()) {
        const file = path.join(await this.scratch(), `readback-${i}.bin`);
        const selector = await this.selector(options.signal);
        const total = r.bytes.length;
        await picotool.save(
          file,
          { range: [r.address, r.address + total] },
          {
            timeoutMs: timeoutFor(total),
            ...(options.signal ? { signal: options.signal } : {}),
            onProgress: (p) =>
              options.onProgress?.({
                region: r.region.name,
                phase: "verify",
                bytesDone: Math.round((p.percent / 100) * total),
                bytesTotal: total,
              }),
          },
          selector,
        );
        const held = await readFile(file);
        const expected = sha256(r.bytes);
        const actual = sha256(held);
        out.push({ name: r.region.name, ok: expected === actual, expected, actual });
      }
    } catch (error) {
      throw toFactoryError(error, PKG);
    }
    return { ok: out.every((r) => r.ok), regions: out };
  }

  async reset(mode: ResetMode, options: SignalOptions = {}): Promise<void> {
    this.alive(options.signal);
    await resetBoard(mode, {
      options: this.options,
      location: this.location,
      picotool: this.picotool,
      toBootsel: (signal) => this.selector(signal),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  async openConsole(
    options: SignalOptions & { baudRate?: number; lineEnding?: string } = {},
  ): Promise<LineConsole> {
    this.alive(options.signal);
    const ttys = await waitForSlot(
      this.options,
      this.location,
      "show its application's serial port",
      (s) => (s.kind === "app" && s.ttys.length > 0 ? s.ttys : undefined),
      options.signal,
    );
    const link = await openSerialLink(path.join(this.options.devDir, ttys[0]!), {
      baudRate: options.baudRate ?? 115200,
      pkg: PKG,
      logger: this.logger,
      ...(this.options.binding ? { binding: this.options.binding } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const console = createLineConsole(link, {
      lineEnding: options.lineEnding ?? "\r\n",
      pkg: PKG,
      closeLink: true,
    });
    this.consoles.add(console);
    return console;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.consoles) await c.close().catch(() => undefined);
    if (this.tmp) await rm(this.tmp, { recursive: true, force: true }).catch(() => undefined);
    this.release();
  }
}
