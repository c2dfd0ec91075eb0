import {
  type BoardSession,
  createError,
  type DeviceIdentity,
  ErrorCodes,
  type FlashOptions,
  type FlashPlan,
  type FlashResult,
  isFactoryError,
  type LineConsole,
  type Logger,
  type PortRef,
  type RegionResult,
  type ResetMode,
  type SignalOptions,
  sleep,
  throwIfAborted,
  toFactoryError,
  type VerifyResult,
} from "@factory/core";
import { EspErrorCodes, PKG } from "../errors";
import { EspLoader, FLASH_WRITE_SIZE } from "../loader/loader";
import { hardReset, type ResetStrategy, resetToBootloader, settleLines } from "../loader/reset";
import { flashSizeFromJedec } from "../protocol/chips";
import type { BindingInterface } from "../transport/binding-types";
import { openSerialLink, type SerialLink } from "../transport/serial-link";
import { SerialLineConsole } from "./console";
import { readIdentity } from "./identify";
import type { ResolvedOptions } from "./options";
import { type PreparedRegion, prepareRegion, validateImages, validatePlan } from "./plan";

const ROM_BAUD = 115200;
/** Codes after which the line may still carry answers to an abandoned command. */
const DIRTYING: readonly string[] = [
  ErrorCodes.ABORTED,
  ErrorCodes.TIMEOUT,
  ErrorCodes.PROTOCOL_ERROR,
  ErrorCodes.FLASH_FAILED,
  EspErrorCodes.ESP_COMMAND_FAILED,
  EspErrorCodes.ESP_STUB_FAILED,
  EspErrorCodes.ESP_BAUD_FAILED,
];
const RETRYABLE = [
  ErrorCodes.TIMEOUT,
  ErrorCodes.PROTOCOL_ERROR,
  EspErrorCodes.ESP_COMMAND_FAILED,
  ErrorCodes.SYNC_FAILED,
] as const;

/** An open ESP on one port. Operations run one at a time, in call order. */
export class EspSession implements BoardSession {
  private loader: EspLoader;
  private state: "loader" | "app" = "loader";
  /** Baud rates still to try, best first. */
  private bauds: number[];
  private fast = false;
  private flashSize: number | undefined;
  private flashIdValue: number | undefined;
  private console: SerialLineConsole | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The last operation ended mid-exchange; resynchronise before the next one. */
  private dirty = false;
  /** Failed exchanges at the current baud (two step it down). */
  private failuresAtBaud = 0;

  private constructor(
    readonly port: PortRef,
    private readonly link: SerialLink,
    private readonly opts: ResolvedOptions,
    private readonly strategy: ResetStrategy,
    private readonly logger: Logger,
  ) {
    this.loader = new EspLoader(link, logger);
    this.bauds = [opts.baudRate, ...opts.fallbackBaudRates];
  }

  /** Opens the port, resets into download mode, syncs and detects the chip. */
  static async open(
    binding: BindingInterface,
    port: PortRef,
    opts: ResolvedOptions,
    strategy: ResetStrategy,
    logger: Logger,
    signal?: AbortSignal,
  ): Promise<EspSession> {
    const link = await openSerialLink(binding, port, ROM_BAUD, { signal, logger });
    const session = new EspSession(port, link, opts, strategy, logger);
    try {
      await session.connect(signal);
      return session;
    } catch (error) {
      await link.close();
      throw toFactoryError(error, PKG);
    }
  }

  get chip(): string | undefined {
    return this.loader.chip?.family;
  }

  /** Runs `fn` after every earlier operation, converting anything thrown into a coded error. */
  private run<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      if (this.closed) {
        throw createError(
          PKG,
          ErrorCodes.INVALID_ARGUMENT,
          `${what}: the session on ${this.port.path} is closed`,
        );
      }
      throwIfAborted(signal, PKG);
      try {
        if (this.dirty) {
          // An earlier operation stopped mid-exchange: answers to it may still be on their way.
          await this.resync(signal);
          this.dirty = false;
        }
        return await fn();
      } catch (error) {
        const e = toFactoryError(error, PKG);
        if (DIRTYING.includes(e.code)) this.dirty = true;
        throw e;
      }
    });
    this.queue = next.catch(() => {});
    return next;
  }

  /** Reset (unless the fixture straps IO0), sync, detect; several rounds. */
  private async connect(signal?: AbortSignal): Promise<void> {
    const loader = this.loader;
    let lastError: unknown;
    for (let attempt = 0; attempt < this.opts.connectAttempts; attempt++) {
      throwIfAborted(signal, PKG);
      if (this.link.baudRate !== ROM_BAUD) await this.link.setBaudRate(ROM_BAUD);
      loader.stub = false;
      loader.spiAttached = false;
      this.fast = false;
      // Alternate short and long strap times, as boards with slow EN capacitors need the latter.
      const timing =
        attempt % 2 === 0
          ? this.opts.resetTiming
          : { ...this.opts.resetTiming, strapMs: this.opts.resetTiming.strapMs + 500 };
      try {
        // Sync and detect while IO0 is still strapped low: the strap was sampled at boot already.
        const detected = await resetToBootloader(this.link, this.strategy, timing, signal, async () => {
          if (!(await loader.sync(5, signal))) return false;
          await loader.detect(signal);
          return true;
        });
        if (detected) {
          this.state = "loader";
          return;
        }
      } catch (error) {
        if (
          isFactoryError(error, [ErrorCodes.PORT_DISCONNECTED, ErrorCodes.ABORTED, ErrorCodes.NOT_SUPPORTED])
        ) {
          throw error;
        }
        if (isFactoryError(error, EspErrorCodes.ESP_UNKNOWN_CHIP)) throw error;
        lastError = error;
      }
      if (this.strategy === "none" && attempt > 0) await sleep(100, signal);
    }
    const noise = loader.client.noise;
    const printable = noise.replace(/[^\x20-\x7e\r\n]/g, "").length;
    if (noise.length > 16 && printable < noise.length / 2) {
      throw createError(
        PKG,
        ErrorCodes.PROTOCOL_ERROR,
        `The device on ${this.port.path} answers with garbage, not the ESP loader protocol (wrong baud, wrong board, or a damaged cable)`,
        {
          cause: lastError,
          details: { port: this.port.path },
        },
      );
    }
    const inDownload = /waiting for download/i.test(noise);
    const hint = inDownload
      ? "the ROM is in download mode but does not answer SYNC"
      : this.strategy === "none"
        ? "is the board strapped into download mode (IO0 low at power-up)?"
        : "the board did not enter download mode; check the auto-reset wiring or hold BOOT";
    throw createError(PKG, ErrorCodes.SYNC_FAILED, `No answer to SYNC from ${this.port.path}: ${hint}`, {
      cause: lastError,
      details: { port: this.port.path, attempts: this.opts.connectAttempts, bootLog: noise.slice(-200) },
    });
  }

  /** Brings the loader to the fastest working baud (ROM baud change where the ROM has it). */
  private async ensureFast(signal?: AbortSignal): Promise<void> {
    if (this.state !== "loader") await this.reconnect(signal);
    while (!this.fast) {
      const target = this.bauds[0] ?? ROM_BAUD;
      const chip = this.loader.requireChip();
      if (target === this.link.baudRate) {
        this.fast = true;
        return;
      }
      if (!chip.romChangeBaud && !this.loader.stub) await this.loader.runStub(signal);
      try {
        await this.loader.changeBaud(target, this.opts.baudSettleMs, signal);
        await this.loader.readReg(0x40001000, signal);
        this.fast = true;
        this.logger.debug("baud changed", { port: this.port.path, baud: target });
      } catch (error) {
        if (!isFactoryError(error, RETRYABLE)) throw error;
        await this.stepDown(error, signal);
      }
    }
  }

  /** Gives up the current baud and reconnects at the ROM rate, or fails if there is nothing left. */
  private async stepDown(cause: unknown, signal?: AbortSignal): Promise<void> {
    const failed = this.bauds.shift();
    this.logger.warn("baud step-down", { port: this.port.path, failed, next: this.bauds[0] });
    if (this.bauds.length === 0 || this.strategy === "none") {
      throw createError(
        PKG,
        EspErrorCodes.ESP_BAUD_FAILED,
        `The chip on ${this.port.path} stopped answering at ${failed} baud${this.strategy === "none" ? " and cannot be reset from here" : ", and at every lower rate"}`,
        {
          cause,
          details: { port: this.port.path, baud: failed },
        },
      );
    }
    await this.reconnect(signal);
  }

  private async reconnect(signal?: AbortSignal): Promise<void> {
    this.loader.client.attach();
    await this.connect(signal);
  }

  private async ensureStub(signal?: AbortSignal): Promise<void> {
    await this.ensureFast(signal);
    if (!this.loader.stub) await this.loader.runStub(signal);
  }

  private async readFlashSize(signal?: AbortSignal): Promise<number | undefined> {
    if (this.flashIdValue === undefined) {
      this.flashIdValue = await this.loader.flashId(signal);
      this.flashSize = flashSizeFromJedec(this.flashIdValue);
    }
    return this.flashSize;
  }

  identify(options: SignalOptions = {}): Promise<DeviceIdentity> {
    return this.run("identify", options.signal, async () => {
      const chip = this.loader.requireChip();
      if (chip.romChangeBaud || this.loader.stub) await this.ensureFast(options.signal);
      else if (this.state !== "loader") await this.reconnect(options.signal);
      const size = await this.readFlashSize(options.signal);
      return readIdentity(this.loader, size, this.flashIdValue, options.signal);
    });
  }

  flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    const signal = options.signal;
    return this.run("flash", signal, async () => {
      const started = performance.now();
      validatePlan(plan);
      validateImages(plan, this.loader.requireChip());
      // Compression runs on the thread pool while the link changes baud and reads the flash id.
      const prepared = Promise.all(plan.regions.map((r) => prepareRegion(r)));
      prepared.catch(() => {});
      await this.ensureFast(signal);
      validatePlan(plan, await this.readFlashSize(signal));
      const regions = await prepared;
      if (plan.eraseAll) {
        await this.ensureStub(signal);
        options.onProgress?.({ region: "*", phase: "erase", bytesDone: 0, bytesTotal: this.flashSize ?? 0 });
        await this.loader.eraseFlash(signal);
      }
      const results: RegionResult[] = [];
      let bytesWritten = 0;
      for (const p of regions) {
        const t0 = performance.now();
        const { region } = p;
        if (this.opts.skipUnchanged && !plan.eraseAll) {
          const actual = await this.md5WithRecovery(p, signal);
          if (actual === p.md5) {
            const n = region.data.length;
            options.onProgress?.({ region: region.name, phase: "skip", bytesDone: n, bytesTotal: n });
            results.push({
              name: region.name,
              offset: region.offset,
              size: region.data.length,
              skipped: true,
              durationMs: performance.now() - t0,
            });
            continue;
          }
        }
        await this.writeWithRecovery(p, options);
        bytesWritten += p.padded.length;
        results.push({
          name: region.name,
          offset: region.offset,
          size: region.data.length,
          skipped: false,
          durationMs: performance.now() - t0,
        });
      }
      return { regions: results, bytesWritten, durationMs: performance.now() - started };
    });
  }

  private async md5WithRecovery(p: PreparedRegion, signal?: AbortSignal): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ensureFast(signal);
        // The ESP8266 ROM has no SPI_FLASH_MD5; its MD5 comes from the stub.
        if (!this.loader.stub && !this.loader.requireChip().romMd5) await this.loader.runStub(signal);
        return await this.loader.md5(p.region.offset, p.padded.length, signal);
      } catch (error) {
        if (!isFactoryError(error, RETRYABLE) || attempt >= this.opts.writeAttempts) throw error;
        await this.recover(error, signal);
      }
    }
  }

  private async writeWithRecovery(p: PreparedRegion, options: FlashOptions): Promise<void> {
    const signal = options.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.ensureStub(signal);
        await this.writeRegion(p, options);
        return;
      } catch (error) {
        if (!isFactoryError(error, RETRYABLE)) throw error;
        if (attempt >= this.opts.writeAttempts) {
          throw createError(
            PKG,
            ErrorCodes.FLASH_FAILED,
            `Writing "${p.region.name}" to ${this.port.path} failed ${attempt} times: ${(error as Error).message}`,
            {
              cause: error,
              details: { port: this.port.path, region: p.region.name, attempts: attempt },
            },
          );
        }
        await this.recover(error, signal);
      }
    }
  }

  /** After a failed exchange: step the baud down when not already at the ROM rate, and resync. */
  private async recover(cause: unknown, signal?: AbortSignal): Promise<void> {
    this.logger.warn("recovering", {
      port: this.port.path,
      error: String((cause as Error).message ?? cause),
    });
    if (this.strategy === "none") {
      await this.resyncWithoutReset(cause, signal);
      return;
    }
    this.failuresAtBaud++;
    if (this.failuresAtBaud >= 2 && (this.bauds[0] ?? ROM_BAUD) > ROM_BAUD && this.bauds.length > 1) {
      this.failuresAtBaud = 0;
      await this.stepDown(cause, signal);
    } else await this.reconnect(signal);
  }

  /** Back in step with the chip after an abandoned exchange. */
  private async resync(signal?: AbortSignal): Promise<void> {
    if (this.state !== "loader") return;
    if (this.strategy === "none") await this.resyncWithoutReset(undefined, signal);
    else await this.reconnect(signal);
  }

  /**
   * Without reset lines: lets the line go quiet, then SYNCs at the current baud (the stub still
   * runs) and, failing that, at the ROM baud (the chip restarted into the strapped download mode).
   */
  private async resyncWithoutReset(cause: unknown, signal?: AbortSignal): Promise<void> {
    await sleep(50, signal);
    this.loader.client.attach();
    this.loader.client.discardInput();
    if (await this.loader.sync(3, signal)) {
      await this.loader.detect(signal);
      return;
    }
    await this.link.setBaudRate(ROM_BAUD);
    this.fast = false;
    this.loader.spiAttached = false;
    if (await this.loader.sync(5, signal)) {
      await this.loader.detect(signal);
      return;
    }
    throw createError(
      PKG,
      ErrorCodes.FLASH_FAILED,
      `The chip on ${this.port.path} stopped answering and cannot be reset from here (reset "none")`,
      { cause, details: { port: this.port.path } },
    );
  }

  private async writeRegion(p: PreparedRegion, options: FlashOptions): Promise<void> {
    const { region, padded, deflated, packets } = p;
    const signal = options.signal;
    const blocks = packets.length;
    // Per block: 40 s/MB of uncompressed data, as the chip may still be writing the previous block.
    const perBlockRaw = (padded.length / Math.max(1, blocks)) * 1.5;
    const blockTimeout = Math.max(3000, Math.ceil((40_000 * perBlockRaw) / 1_000_000));
    await this.loader.flashDeflBegin(padded.length, blocks, region.offset, signal);
    for (let seq = 0; seq < blocks; seq++) {
      await this.loader.flashDeflData(packets[seq]!, blockTimeout, signal);
      const total = region.data.length;
      options.onProgress?.({
        region: region.name,
        phase: "write",
        bytesDone: seq + 1 === blocks ? total : Math.min(total, Math.round((total * (seq + 1)) / blocks)),
        bytesTotal: total,
        wireBytes: Math.min(deflated.length, (seq + 1) * FLASH_WRITE_SIZE),
      });
    }
    await this.loader.flashDeflEnd(false, blockTimeout, signal);
  }

  verify(plan: FlashPlan, options: FlashOptions = {}): Promise<VerifyResult> {
    return this.run("verify", options.signal, async () => {
      validatePlan(plan);
      const regions = await Promise.all(plan.regions.map((r) => prepareRegion(r)));
      const out: VerifyResult["regions"] = [];
      for (const p of regions) {
        const actual = await this.md5WithRecovery(p, options.signal);
        out.push({ name: p.region.name, ok: actual === p.md5, expected: p.md5, actual });
        const n = p.region.data.length;
        options.onProgress?.({ region: p.region.name, phase: "verify", bytesDone: n, bytesTotal: n });
      }
      return { ok: out.every((r) => r.ok), regions: out };
    });
  }

  reset(mode: ResetMode, options: SignalOptions = {}): Promise<void> {
    return this.run("reset", options.signal, async () => {
      await this.closeConsole();
      if (mode === "bootloader") {
        await this.reconnect(options.signal);
        return;
      }
      if (mode !== "app" && mode !== "hard") {
        throw createError(PKG, ErrorCodes.NOT_SUPPORTED, `Reset mode "${String(mode)}" is not supported`);
      }
      if (this.strategy === "none") {
        if (this.state === "loader") {
          await this.ensureStub(options.signal);
          await this.loader.runUserCode();
        }
      } else {
        await hardReset(this.link, this.strategy, this.opts.resetTiming, options.signal);
      }
      this.state = "app";
      this.fast = false;
      this.loader.stub = false;
      this.loader.spiAttached = false;
      if (this.link.baudRate !== ROM_BAUD) await this.link.setBaudRate(ROM_BAUD);
      this.loader.client.discardInput();
      await this.waitForAppOutput(options.signal);
    });
  }

  /**
   * After a reset into the app: waits until the board has printed its boot log (first byte, then
   * 30 ms of quiet), at most `appBootMs`, so a console command is not sent before the app listens.
   */
  private async waitForAppOutput(signal?: AbortSignal): Promise<void> {
    const link = this.link;
    const previous = link.onData;
    let last = 0;
    link.onData = (chunk) => {
      last = performance.now();
      previous?.(chunk);
    };
    try {
      const end = performance.now() + this.opts.appBootMs;
      while (performance.now() < end) {
        if (last > 0 && performance.now() - last >= 30) return;
        await sleep(5, signal);
      }
    } finally {
      link.onData = previous;
    }
  }

  openConsole(
    options: SignalOptions & { baudRate?: number; lineEnding?: string } = {},
  ): Promise<LineConsole> {
    return this.run("openConsole", options.signal, async () => {
      await this.closeConsole();
      const baud = options.baudRate ?? ROM_BAUD;
      if (this.link.baudRate !== baud) await this.link.setBaudRate(baud);
      const console = new SerialLineConsole(this.link, options.lineEnding ?? "\r\n", () => {
        if (this.console === console) this.console = undefined;
        if (!this.closed) this.loader.client.attach();
      });
      this.console = console;
      return console;
    });
  }

  private async closeConsole(): Promise<void> {
    await this.console?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.console?.close();
    } catch {
      // closing never rejects
    }
    await settleLines(this.link);
    await this.link.close().catch(() => {});
  }
}
