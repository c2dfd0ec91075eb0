import {
  type DeviceIdentity,
  ErrorCodes,
  isFactoryError,
  type LineConsole,
  type Logger,
  type ResetMode,
  type SignalOptions,
  sleep,
} from "@factory/core";
import { createLineConsole, type SerialLink } from "@factory/serial";
import type { Stm32Access } from "../driver/access";
import { hex, PKG, Stm32ErrorCodes, stm32Error } from "../errors";
import { formatUid, partForPid, partLayout, type Stm32Part, uidWordAddresses } from "../identity/families";
import type { FlashLayout, FlashSector } from "../identity/flash-layout";
import { An3155Client, type An3155Timeouts, type BootloaderInfo } from "./an3155-client";
import { Cmd } from "./constants";

/** Which modem line drives which pin on the fixture. An asserted line pulls NRST low / BOOT0 high. */
export interface ResetWiring {
  reset?: "dtr" | "rts";
  boot0?: "dtr" | "rts";
}

/** Rate and parity of the UART (always 8 data bits, 1 stop bit). */
export interface UartFraming {
  baudRate: number;
  parity: "none" | "even" | "odd";
}

export interface UartAccessOptions {
  wiring?: ResetWiring;
  timeouts?: Partial<An3155Timeouts>;
  pipelineWrites?: boolean;
  logger: Logger;
  signal?: AbortSignal;
  /** The framing the link is open with: the bootloader's (8E1 at the sync rate). */
  framing?: UartFraming;
  /** The application's framing, for its console (default 115200 8N1). */
  appFraming?: UartFraming;
  /**
   * Opens the port again with another framing. Parity cannot change on an open port (only the
   * rate can), so moving between the bootloader's 8E1 and an 8N1 application reopens it.
   */
  reopen?: (framing: UartFraming, signal?: AbortSignal) => Promise<SerialLink>;
}

const DEFAULT_APP_FRAMING: UartFraming = { baudRate: 115200, parity: "none" };

const BLOCK = 256;
/**
 * Time given to the part after reset release or Go before the port is used: the bootloader's
 * start-up, or the application setting up its clocks and UART (it does not listen before). Output
 * arriving meanwhile is kept by the link for the console.
 */
const BOOT_MS = 60;

/** Drives the fixture's lines: BOOT0 as asked, NRST pulsed, then the boot time. */
async function pulseReset(
  link: SerialLink,
  wiring: ResetWiring,
  bootloader: boolean,
  signal?: AbortSignal,
): Promise<void> {
  const lines = (reset: boolean): { dtr?: boolean; rts?: boolean } => {
    const out: { dtr?: boolean; rts?: boolean } = {};
    if (wiring.boot0) out[wiring.boot0] = bootloader;
    if (wiring.reset) out[wiring.reset] = reset;
    return out;
  };
  await link.setSignals(lines(true), { signal });
  await sleep(20, signal);
  await link.setSignals(lines(false), { signal });
  await sleep(BOOT_MS, signal);
}

/**
 * Memory operations over the UART bootloader. Open means: optional reset into the bootloader
 * through the fixture wiring, 0x7F sync, Get, Get ID, and the flash-size register read.
 */
export class UartAccess implements Stm32Access {
  readonly transport = "uart";
  readonly alignment = 4;
  private identity: DeviceIdentity | undefined;
  private inApp = false;
  private framing: UartFraming;
  private console: LineConsole | undefined;

  private constructor(
    private link: SerialLink,
    private client: An3155Client,
    readonly where: string,
    readonly part: Stm32Part,
    readonly info: BootloaderInfo,
    readonly layout: FlashLayout,
    private readProtected: boolean,
    private readonly options: UartAccessOptions,
  ) {
    this.framing = options.framing ?? { baudRate: link.baudRate, parity: "even" };
  }

  private static client(link: SerialLink, where: string, options: UartAccessOptions): An3155Client {
    return new An3155Client(link, where, {
      logger: options.logger,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      ...(options.pipelineWrites === undefined ? {} : { pipelineWrites: options.pipelineWrites }),
    });
  }

  static async open(link: SerialLink, where: string, options: UartAccessOptions): Promise<UartAccess> {
    const { signal } = options;
    const client = UartAccess.client(link, where, options);
    if (options.wiring?.reset) await pulseReset(link, options.wiring, true, signal);
    await client.sync({ signal });
    const info = await client.get(signal);
    const pid = await client.getId(signal);
    const part = partForPid(pid);
    if (!part) {
      throw stm32Error(
        Stm32ErrorCodes.STM32_UNKNOWN_DEVICE,
        `The part on ${where} reports product ID ${hex(pid, 3)}, which the driver's table does not know; add it to identity/families.ts`,
        { details: { pid }, retryable: false },
      );
    }
    let flashSize: number | undefined;
    let readProtected = false;
    try {
      const b = await client.readMemory(part.flashSizeRegister, 2, signal);
      flashSize = (b[0]! | (b[1]! << 8)) * 1024;
    } catch (error) {
      if (!isFactoryError(error, ErrorCodes.READ_PROTECTED)) throw error;
      readProtected = true;
    }
    options.logger.debug("bootloader ready", { where, version: info.version, pid, flashSize });
    return new UartAccess(
      link,
      client,
      where,
      part,
      info,
      partLayout(part, flashSize),
      readProtected,
      options,
    );
  }

  private get extended(): boolean {
    return this.info.commands.includes(Cmd.EXTENDED_ERASE);
  }

  private assertBootloader(): void {
    if (this.inApp) {
      throw stm32Error(
        ErrorCodes.SYNC_FAILED,
        `The part on ${this.where} runs its application; reset it into the bootloader first`,
      );
    }
  }

  private assertReadable(): void {
    if (this.readProtected) {
      throw stm32Error(
        ErrorCodes.READ_PROTECTED,
        `The part on ${this.where} is read-protected (RDP); it cannot be identified or flashed until protection is removed, which erases it`,
        { retryable: false },
      );
    }
  }

  async identify(signal?: AbortSignal): Promise<DeviceIdentity> {
    this.assertBootloader();
    this.assertReadable();
    if (this.identity) return this.identity;
    const words: number[] = [];
    for (const address of uidWordAddresses(this.part)) {
      const b = await this.client.readMemory(address, 4, signal);
      words.push(new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true));
    }
    this.identity = {
      family: "stm32",
      chip: this.part.name,
      uniqueId: formatUid(words as [number, number, number]),
      flashSize: this.layout.size,
      extra: {
        transport: "uart",
        uidSource: "uid96",
        productId: hex(this.part.pid, 3),
        series: this.part.series,
        bootloaderVersion: `${this.info.version >> 4}.${this.info.version & 0xf}`,
      },
    };
    return this.identity;
  }

  async eraseSectors(
    sectors: readonly FlashSector[],
    onSector: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.assertBootloader();
    this.assertReadable();
    await this.client.erasePages(
      sectors.map((s) => s.index),
      this.extended,
      signal,
    );
    onSector(sectors.length);
  }

  async massErase(signal?: AbortSignal): Promise<void> {
    this.assertBootloader();
    this.assertReadable();
    await this.client.massErase(this.extended, signal);
  }

  async write(
    address: number,
    data: Uint8Array,
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.assertBootloader();
    for (let offset = 0; offset < data.length; offset += BLOCK) {
      await this.client.writeMemory(address + offset, data.subarray(offset, offset + BLOCK), signal);
      onProgress(Math.min(offset + BLOCK, data.length));
    }
  }

  async read(
    address: number,
    length: number,
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    this.assertBootloader();
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length; offset += BLOCK) {
      const n = Math.min(BLOCK, length - offset);
      out.set(await this.client.readMemory(address + offset, n, signal), offset);
      onProgress(offset + n);
    }
    return out;
  }

  private get appFraming(): UartFraming {
    return this.options.appFraming ?? DEFAULT_APP_FRAMING;
  }

  /**
   * Sets the host UART to `framing`: the rate on the open port, a parity change by reopening it
   * (a tty raises DTR and RTS on open, which on a wired fixture holds the part in reset until the
   * caller's reset pulse releases it). An open console is closed first: it reads the old link.
   */
  private async useFraming(framing: UartFraming, signal?: AbortSignal): Promise<void> {
    await this.closeConsole();
    if (framing.parity !== this.framing.parity) {
      if (!this.options.reopen) {
        throw stm32Error(
          ErrorCodes.NOT_SUPPORTED,
          `Cannot change the parity of ${this.where} from ${this.framing.parity} to ${framing.parity} (the port cannot be reopened)`,
        );
      }
      await this.link.close();
      this.link = await this.options.reopen(framing, signal);
      this.client = UartAccess.client(this.link, this.where, this.options);
      this.options.logger.debug("port reopened", { where: this.where, ...framing });
    } else if (framing.baudRate !== this.link.baudRate) {
      await this.link.setBaudRate(framing.baudRate, { signal });
    }
    this.framing = framing;
  }

  /**
   * `bootloader`: the link back to the bootloader's framing, NRST pulsed with BOOT0 high, 0x7F.
   * `app`: Go to the flash base (or, when NRST and BOOT0 are wired, a reset with BOOT0 low), and
   * the link to the application's framing, so its first output (the banner) is readable. With
   * wiring the framing changes while the part is still held in reset; after Go it changes right
   * after the bootloader's ACK, within the few milliseconds an application takes to set up its
   * clocks and UART. `hard`: like a wired `app`.
   */
  async reset(mode: ResetMode, signal?: AbortSignal): Promise<void> {
    const wiring = this.options.wiring;
    if (mode === "bootloader") {
      if (!wiring?.reset)
        throw stm32Error(ErrorCodes.NOT_SUPPORTED, `No reset line is wired on ${this.where}`);
      const framing = this.options.framing ?? { baudRate: this.framing.baudRate, parity: "even" };
      await this.useFraming(framing, signal);
      await pulseReset(this.link, wiring, true, signal);
      await this.client.sync({ signal });
      this.inApp = false;
      return;
    }
    if (mode === "hard" || (mode === "app" && wiring?.reset && wiring.boot0)) {
      if (!wiring?.reset)
        throw stm32Error(ErrorCodes.NOT_SUPPORTED, `No reset line is wired on ${this.where}`);
      await this.useFraming(this.appFraming, signal);
      await pulseReset(this.link, wiring, false, signal);
      this.inApp = true;
      return;
    }
    this.assertBootloader();
    await this.client.go(this.layout.base, signal);
    this.inApp = true;
    await this.useFraming(this.appFraming, signal);
    await sleep(BOOT_MS, signal);
  }

  /**
   * The application's console: lines on the UART at the application's framing (`baudRate`
   * overrides its rate). Only after `reset("app")`; the bootloader has no console.
   */
  async openConsole(
    options: SignalOptions & { baudRate?: number; lineEnding?: string } = {},
  ): Promise<LineConsole> {
    if (!this.inApp) {
      throw stm32Error(
        ErrorCodes.INVALID_ARGUMENT,
        `The part on ${this.where} is in its bootloader, which has no console; reset("app") first`,
      );
    }
    if (this.console)
      throw stm32Error(ErrorCodes.INVALID_ARGUMENT, "A console is already open on this session");
    await this.useFraming(
      { ...this.framing, baudRate: options.baudRate ?? this.framing.baudRate },
      options.signal,
    );
    const console = createLineConsole(this.link, {
      lineEnding: options.lineEnding ?? "\r\n",
      encoding: "latin1",
      pkg: PKG,
    });
    const close = console.close.bind(console);
    console.close = async () => {
      if (this.console === console) this.console = undefined;
      await close();
    };
    this.console = console;
    return console;
  }

  private async closeConsole(): Promise<void> {
    await this.console?.close().catch(() => undefined);
    this.console = undefined;
  }

  /** Removes read protection: the part mass-erases itself. Only on explicit request. */
  async readoutUnprotect(signal?: AbortSignal): Promise<void> {
    this.assertBootloader();
    await this.client.readoutUnprotect(signal);
    await sleep(100, signal);
    await this.client.sync({ signal });
    this.readProtected = false;
    this.identity = undefined;
  }

  async close(): Promise<void> {
    await this.closeConsole();
    await this.link.close();
  }
}
