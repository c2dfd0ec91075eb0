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
import { FLASH_WRITE_SIZE } from "../loader/loader";
import { hardReset, type ResetStrategy, settleLines } from "../loader/reset";
import { flashSizeFromJedec } from "../protocol/chips";
import type { BindingInterface } from "../transport/binding-types";
import { openEspLink, type SerialLink } from "../transport/serial-link";
import { EspConnection, RETRYABLE, ROM_BAUD } from "./connection";
import { openAppConsole } from "./console";
import { readIdentity } from "./identify";
import type { ResolvedOptions } from "./options";
import { type PreparedRegion, prepareRegion, validateImages, validatePlan } from "./plan";

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
/** An open ESP on one port. Operations run one at a time, in call order. */
export class EspSession implements BoardSession {
  private readonly conn: EspConnection;
  private flashSize: number | undefined;
  private flashIdValue: number | undefined;
  private console: LineConsole | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The last operation ended mid-exchange; resynchronise before the next one. */
  private dirty = false;

  private constructor(
    readonly port: PortRef,
    private readonly link: SerialLink,
    private readonly opts: ResolvedOptions,
    private readonly strategy: ResetStrategy,
    readonly logger: Logger,
  ) {
    this.conn = new EspConnection(port, link, opts, strategy, logger);
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
    const link = await openEspLink(binding, port, ROM_BAUD, { signal, logger });
    const session = new EspSession(port, link, opts, strategy, logger);
    try {
      await session.conn.connect(signal);
      return session;
    } catch (error) {
      await link.close();
      throw toFactoryError(error, PKG);
    }
  }

  get chip(): string | undefined {
    return this.conn.loader.chip?.family;
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
          await this.conn.resync(signal);
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

  private async readFlashSize(signal?: AbortSignal): Promise<number | undefined> {
    if (this.flashIdValue === undefined) {
      this.flashIdValue = await this.conn.loader.flashId(signal);
      this.flashSize = flashSizeFromJedec(this.flashIdValue);
    }
    return this.flashSize;
  }

  identify(options: SignalOptions = {}): Promise<DeviceIdentity> {
    return this.run("identify", options.signal, async () => {
      const chip = this.conn.loader.requireChip();
      if (chip.romChangeBaud || this.conn.loader.stub) await this.conn.ensureFast(options.signal);
      else if (this.conn.state !== "loader") await this.conn.reconnect(options.signal);
      const size = await this.readFlashSize(options.signal);
      return readIdentity(this.conn.loader, size, this.flashIdValue, options.signal);
    });
  }

  flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    const signal = options.signal;
    return this.run("flash", signal, async () => {
      const started = performance.now();
      validatePlan(plan);
      validateImages(plan, this.conn.loader.requireChip());
      // Compression runs on the thread pool while the link changes baud and reads the flash id.
      const prepared = Promise.all(plan.regions.map((r) => prepareRegion(r)));
      prepared.catch(() => {});
      await this.conn.ensureFast(signal);
      validatePlan(plan, await this.readFlashSize(signal));
      const regions = await prepared;
      if (plan.eraseAll) {
        await this.conn.ensureStub(signal);
        options.onProgress?.({ region: "*", phase: "erase", bytesDone: 0, bytesTotal: this.flashSize ?? 0 });
        await this.conn.loader.eraseFlash(signal);
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
        await this.conn.ensureFast(signal);
        // The ESP8266 ROM has no SPI_FLASH_MD5; its MD5 comes from the stub.
        if (!this.conn.loader.stub && !this.conn.loader.requireChip().romMd5)
          await this.conn.loader.runStub(signal);
        return await this.conn.loader.md5(p.region.offset, p.padded.length, signal);
      } catch (error) {
        if (!isFactoryError(error, RETRYABLE) || attempt >= this.opts.writeAttempts) throw error;
        await this.conn.recover(error, signal);
      }
    }
  }

  private async writeWithRecovery(p: PreparedRegion, options: FlashOptions): Promise<void> {
    const signal = options.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.conn.ensureStub(signal);
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
        await this.conn.recover(error, signal);
      }
    }
  }

  private async writeRegion(p: PreparedRegion, options: FlashOptions): Promise<void> {
    const { region, padded, deflated, packets } = p;
    const signal = options.signal;
    const blocks = packets.length;
    // Per block: 40 s/MB of uncompressed data, as the chip may still be writing the previous block.
    const perBlockRaw = (padded.length / Math.max(1, blocks)) * 1.5;
    const blockTimeout = Math.max(3000, Math.ceil((40_000 * perBlockRaw) / 1_000_000));
    await this.conn.loader.flashDeflBegin(padded.length, blocks, region.offset, signal);
    for (let seq = 0; seq < blocks; seq++) {
      await this.conn.loader.flashDeflData(packets[seq]!, blockTimeout, signal);
      const total = region.data.length;
      options.onProgress?.({
        region: region.name,
        phase: "write",
        bytesDone: seq + 1 === blocks ? total : Math.min(total, Math.round((total * (seq + 1)) / blocks)),
        bytesTotal: total,
        wireBytes: Math.min(deflated.length, (seq + 1) * FLASH_WRITE_SIZE),
      });
    }
    await this.conn.loader.flashDeflEnd(false, blockTimeout, signal);
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
        await this.conn.reconnect(options.signal);
        return;
      }
      if (mode !== "app" && mode !== "hard") {
        throw createError(PKG, ErrorCodes.NOT_SUPPORTED, `Reset mode "${String(mode)}" is not supported`);
      }
      if (this.strategy === "none") {
        if (this.conn.state === "loader") {
          await this.conn.ensureStub(options.signal);
          await this.conn.loader.runUserCode();
        }
      } else {
        await hardReset(this.link, this.strategy, this.opts.resetTiming, options.signal);
      }
      this.conn.state = "app";
      this.conn.fast = false;
      this.conn.loader.stub = false;
      this.conn.loader.spiAttached = false;
      if (this.link.baudRate !== ROM_BAUD) await this.link.setBaudRate(ROM_BAUD);
      this.conn.loader.client.discardInput();
      await this.waitForAppOutput(options.signal);
    });
  }

  /**
   * After a reset into the app: waits until the board has printed its boot log (first byte, then
   * 30 ms of quiet), at most `appBootMs`, so a console command is not sent before the app listens.
   */
  private async waitForAppOutput(signal?: AbortSignal): Promise<void> {
    const client = this.conn.loader.client;
    const start = performance.now();
    const end = start + this.opts.appBootMs;
    while (performance.now() < end) {
      const last = client.lastInputAt;
      if (last > start && performance.now() - last >= 30) return;
      await sleep(5, signal);
    }
  }

  openConsole(
    options: SignalOptions & { baudRate?: number; lineEnding?: string } = {},
  ): Promise<LineConsole> {
    return this.run("openConsole", options.signal, async () => {
      await this.closeConsole();
      const baud = options.baudRate ?? ROM_BAUD;
      if (this.link.baudRate !== baud) await this.link.setBaudRate(baud);
      const console = openAppConsole(this.link, options.lineEnding ?? "\r\n", () => {
        if (this.console === console) this.console = undefined;
        if (!this.closed) this.conn.loader.client.attach();
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
