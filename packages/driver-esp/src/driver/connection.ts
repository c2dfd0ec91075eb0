import {
  createError,
  ErrorCodes,
  isFactoryError,
  type Logger,
  type PortRef,
  sleep,
  throwIfAborted,
} from "@factory/core";
import { EspErrorCodes, PKG } from "../errors";
import { EspLoader } from "../loader/loader";
import { type ResetStrategy, resetToBootloader } from "../loader/reset";
import type { SerialLink } from "../transport/serial-link";
import type { ResolvedOptions } from "./options";

export const ROM_BAUD = 115200;

/** Codes of exchanges that a resync (and maybe a lower baud) can cure. */
export const RETRYABLE = [
  ErrorCodes.TIMEOUT,
  ErrorCodes.PROTOCOL_ERROR,
  EspErrorCodes.ESP_COMMAND_FAILED,
  ErrorCodes.SYNC_FAILED,
] as const;

/**
 * The state of the conversation with one chip: download mode or app, ROM or stub, the baud in
 * use and the rates left to try; and how to get back in step after a failure (reset and resync,
 * step the baud down, or resync without reset lines on a strapped fixture).
 */
export class EspConnection {
  readonly loader: EspLoader;
  state: "loader" | "app" = "loader";
  /** Baud rates still to try, best first. */
  bauds: number[];
  fast = false;
  /** Failed exchanges at the current baud (two step it down). */
  private failuresAtBaud = 0;

  constructor(
    readonly port: PortRef,
    readonly link: SerialLink,
    readonly opts: ResolvedOptions,
    readonly strategy: ResetStrategy,
    private readonly logger: Logger,
  ) {
    this.loader = new EspLoader(link, logger);
    this.bauds = [opts.baudRate, ...opts.fallbackBaudRates];
  }

  /** Reset (unless the fixture straps IO0), sync, detect; several rounds. */
  async connect(signal?: AbortSignal): Promise<void> {
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
        : this.strategy === "usb-jtag"
          ? "the USB-Serial-JTAG reset did not enter download mode (it works only on the USB-Serial-JTAG port, 303A:1001, of an ESP32-S3, -C3 or -C6; USB-UART bridges and the ESP32-S2's USB-OTG port take reset classic)"
          : "the board did not enter download mode; check the auto-reset wiring or hold BOOT";
    throw createError(PKG, ErrorCodes.SYNC_FAILED, `No answer to SYNC from ${this.port.path}: ${hint}`, {
      cause: lastError,
      details: { port: this.port.path, attempts: this.opts.connectAttempts, bootLog: noise.slice(-200) },
    });
  }

  /** Brings the loader to the fastest working baud (ROM baud change where the ROM has it). */
  async ensureFast(signal?: AbortSignal): Promise<void> {
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
  async stepDown(cause: unknown, signal?: AbortSignal): Promise<void> {
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

  async reconnect(signal?: AbortSignal): Promise<void> {
    this.loader.client.attach();
    await this.connect(signal);
  }

  async ensureStub(signal?: AbortSignal): Promise<void> {
    await this.ensureFast(signal);
    if (!this.loader.stub) await this.loader.runStub(signal);
  }

  /** After a failed exchange: step the baud down when not already at the ROM rate, and resync. */
  async recover(cause: unknown, signal?: AbortSignal): Promise<void> {
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
  async resync(signal?: AbortSignal): Promise<void> {
    if (this.state !== "loader") return;
    if (this.strategy === "none") await this.resyncWithoutReset(undefined, signal);
    else await this.reconnect(signal);
  }

  /**
   * Without reset lines: lets the line go quiet, then SYNCs at the current baud (the stub still
   * runs) and, failing that, at the ROM baud (the chip restarted into the strapped download mode).
   */
  async resyncWithoutReset(cause: unknown, signal?: AbortSignal): Promise<void> {
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
}
