import { CHIPS, type ChipInfo } from "../protocol/chips";
import { decodeCommand, encodeResponse, OHAI } from "../protocol/commands";
import { SlipDecoder, slipEncode } from "../protocol/slip";
import { loadStubImage, type StubImage } from "../protocol/stub-image";
import { AppConsole } from "./app-console";
import { instantClock, prng, realClock, type SimClock } from "./clock";
import { NO_FLASH_TIMING, REALISTIC_FLASH_TIMING, SimFlash } from "./flash";
import { handleCommand } from "./handlers";
import type { StreamInflater } from "./inflater";
import type { EspSimFaults, EspSimulatorOptions } from "./options";
import { buildRegisters, type SimRegisters } from "./registers";

export type SimMode = "off" | "rom" | "stub" | "app" | "hung";

/** Where the device's UART output goes (the link of the port that is open, if any). */
export interface SimOutput {
  deviceWrite(bytes: Uint8Array, baud: number): void;
  /** The device vanished (unplug, disconnect fault). */
  deviceGone(): void;
}

/** State of an ongoing FLASH_BEGIN / FLASH_DEFL_BEGIN. */
export interface FlashOp {
  deflate: boolean;
  offset: number;
  /** Uncompressed bytes expected. */
  size: number;
  written: number;
  blocks: number;
  blockSize: number;
  eraseCursor: number;
  eraseEnd: number;
  inflate?: StreamInflater;
}

export interface SimStats {
  commands: Record<string, number>;
  resets: number;
  bytesFromHost: number;
  bytesToHost: number;
  droppedFrames: number;
}

const ROM_BANNER_ESP32 =
  "ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))\r\nwaiting for download\r\n";
/** The newer ROMs name their build; the boot mode byte and "waiting for download" as the others. */
const ROM_BANNERS: Partial<Record<string, string>> = {
  esp32s2:
    "ESP-ROM:esp32s2-rc4-20191025\r\nBuild:Oct 25 2019\r\nrst:0x1 (POWERON),boot:0x0 (DOWNLOAD(USB/UART0/1))\r\nwaiting for download\r\n",
  esp32c6:
    "ESP-ROM:esp32c6-20220919\r\nBuild:Sep 19 2022\r\nrst:0x1 (POWERON),boot:0x4 (DOWNLOAD(USB/UART/SDIO_REI_FEO))\r\nwaiting for download\r\n",
};
const ROM_BANNER_ESP8266 = "\r\n ets Jan  8 2013,rst cause:2, boot mode:(1,7)\r\n\r\n";
/**
 * The stub receives into two frame buffers: one frame may wait while another is processed (the
 * stub acknowledges a data block on receipt and writes it while the next one arrives). A third
 * frame overruns. The ROM handles one command at a time the same way.
 */
const MAX_WAITING_FRAMES = 1;

/**
 * A simulated ESP chip: ROM serial loader, flasher stub, SPI flash and a scripted application
 * console. Speaks the serial protocol byte for byte; reach it in-process through
 * {@link EspSimBinding} or over a pseudo-terminal with {@link startEspPtyServer}.
 *
 * @example
 * const sim = await createEspSimulator({ chip: "esp32" });
 * const binding = new EspSimBinding().add("sim:esp32-0", sim);
 */
export class EspSimulator {
  readonly chip: ChipInfo;
  readonly flash: SimFlash;
  readonly clock: SimClock;
  readonly mac: readonly number[];
  readonly options: EspSimulatorOptions;
  faults: EspSimFaults;
  readonly stats: SimStats = { commands: {}, resets: 0, bytesFromHost: 0, bytesToHost: 0, droppedFrames: 0 };
  readonly random: () => number;

  mode: SimMode = "off";
  /** The chip's UART baud. */
  uartBaud = 115200;
  /** Present on the bus (false after unplug). */
  connected = true;
  spiAttached = false;
  flashOp: FlashOp | undefined;
  /** A stub error found while writing in the background, reported with the next command. */
  pendingError: number | undefined;
  memOp: { addr: number; size: number; blockSize: number; data: Uint8Array } | undefined;
  readonly ram = new Map<number, Uint8Array>();
  readonly regs: SimRegisters;
  readFlash:
    | { offset: number; length: number; sent: number; acked: number; packet: number; maxUnacked: number }
    | undefined;
  busyUntil = 0;
  /** When the SPI flash chip finishes its current erase or program (stub: erase runs ahead). */
  flashFree = 0;

  private eventTime: number | undefined;
  private output: SimOutput | undefined;
  private epoch = 0;
  private queue: Uint8Array[] = [];
  private processing = false;
  private readonly decoder: SlipDecoder;
  private readonly appConsole: AppConsole;
  private lines = { dtr: false, rts: false };
  private inReset = false;
  private usbLatch = false;

  constructor(
    options: EspSimulatorOptions,
    readonly stub: StubImage,
  ) {
    this.options = options;
    this.chip = CHIPS[options.chip ?? "esp32"];
    this.clock = options.timing === "real" ? realClock : instantClock;
    const timing =
      options.flashTiming === "off" || this.clock.mode === "instant"
        ? NO_FLASH_TIMING
        : {
            ...REALISTIC_FLASH_TIMING,
            ...(typeof options.flashTiming === "object" ? options.flashTiming : {}),
          };
    this.flash = new SimFlash(options.flashSize ?? 4 * 1024 * 1024, timing);
    this.random = prng(options.seed ?? 1);
    this.mac = parseMac(options.mac) ?? defaultMac(this.chip, options.seed ?? 1);
    this.faults = { ...(options.faults ?? {}) };
    this.regs = buildRegisters(this);
    this.decoder = new SlipDecoder({ frame: (f) => this.enqueue(f) }, 0x4000 + 64);
    this.appConsole = new AppConsole(this);
    const start = options.startIn ?? (options.resetCircuit === "none" ? "bootloader" : "app");
    this.boot(start === "bootloader" ? "rom" : "app");
  }

  /** The detect register value of this chip. */
  get magic(): number {
    return this.options.magic ?? this.chip.magic[0] ?? 0;
  }

  /** Copies `length` bytes of flash at `offset` (out of band, for tests). */
  readFlashImage(offset: number, length: number): Uint8Array {
    return this.flash.read(offset, length);
  }

  /** Writes flash directly (out of band), e.g. to preload an image. */
  preloadFlash(offset: number, data: Uint8Array): void {
    this.flash.write(offset, data);
  }

  attach(output: SimOutput | undefined): void {
    this.output = output;
  }

  /** The USB cable is pulled: the port vanishes. */
  unplug(): void {
    if (!this.connected) return;
    this.connected = false;
    this.epoch++;
    this.mode = "off";
    const out = this.output;
    this.output = undefined;
    out?.deviceGone();
  }

  /** The device is plugged in again and powers up. */
  plug(): void {
    if (this.connected) return;
    this.connected = true;
    const start = this.options.startIn ?? (this.options.resetCircuit === "none" ? "bootloader" : "app");
    this.boot(start === "bootloader" ? "rom" : "app");
  }

  /** DTR/RTS changed on the host side. */
  setLines(change: { dtr?: boolean; rts?: boolean }): void {
    const prev = this.lines;
    this.lines = { dtr: change.dtr ?? prev.dtr, rts: change.rts ?? prev.rts };
    const circuit = this.options.resetCircuit ?? "classic";
    if (circuit === "none") return;
    if (circuit === "classic") {
      const enLow = this.lines.rts && !this.lines.dtr;
      const io0Low = this.lines.dtr && !this.lines.rts;
      if (enLow && !this.inReset) this.holdInReset();
      else if (!enLow && this.inReset) this.release(io0Low ? "rom" : "app");
      return;
    }
    // USB-Serial-JTAG: RTS resets the chip; DTR seen while RTS rises selects download mode.
    if (this.lines.rts && !this.inReset) {
      this.usbLatch = this.lines.dtr;
      this.holdInReset();
    } else if (!this.lines.rts && this.inReset) {
      const latch = this.usbLatch;
      this.usbLatch = false;
      this.release(latch ? "rom" : "app");
    }
  }

  /** Bytes that arrived from the host over the wire. */
  receive(bytes: Uint8Array): void {
    this.stats.bytesFromHost += bytes.length;
    if (this.mode === "rom" || this.mode === "stub") this.decoder.push(bytes);
    else if (this.mode === "app") this.appConsole.receive(bytes);
  }

  /** Sends bytes on the chip's UART at its current baud (or `baud`). */
  send(bytes: Uint8Array, baud = this.uartBaud): void {
    if (!this.connected || this.mode === "off") return;
    this.stats.bytesToHost += bytes.length;
    this.output?.deviceWrite(bytes, baud);
  }

  /** Sends one SLIP-framed response with the status bytes of the current mode. */
  reply(op: number, value: number, data: Uint8Array = new Uint8Array(0), error = 0): void {
    const statusLen = this.mode === "stub" ? 2 : this.chip.romStatusLen;
    const body = new Uint8Array(data.length + statusLen);
    body.set(data, 0);
    body[data.length] = error === 0 ? 0 : 1;
    body[data.length + 1] = error;
    this.send(slipEncode(encodeResponse(op, value, body)));
  }

  /**
   * The chip's notion of now: inside a scheduled event, the time the event was due (the host's
   * event loop may run it late; the chip's wire timing must not drift because of that).
   */
  now(): number {
    return this.eventTime ?? this.clock.now();
  }

  /** Runs `fn` at clock time `t` unless the chip was reset in between. */
  at(t: number, fn: () => void): void {
    const epoch = this.epoch;
    this.clock.at(t, (scheduled) => {
      if (epoch !== this.epoch) return;
      const outer = this.eventTime;
      this.eventTime = Math.max(scheduled, outer ?? 0);
      try {
        fn();
      } finally {
        this.eventTime = outer;
      }
    });
  }

  /** Delivers `bytes` that finished arriving at `scheduled` (see {@link now}). */
  receiveAt(scheduled: number, bytes: Uint8Array): void {
    const outer = this.eventTime;
    this.eventTime = scheduled;
    try {
      this.receive(bytes);
    } finally {
      this.eventTime = outer;
    }
  }

  /** Marks the chip busy (flash work) for `ms` from the later of now and the current busy end. */
  busy(ms: number): number {
    if (this.clock.mode === "instant") return 0;
    this.busyUntil = Math.max(this.busyUntil, this.now()) + ms;
    return this.busyUntil;
  }

  /** Ends the current flash operation (if any) and frees its decoder. */
  endFlashOp(next?: FlashOp): void {
    this.flashOp?.inflate?.close();
    this.flashOp = next;
  }

  /** The running stub greets the host after MEM_END. */
  startStub(): void {
    this.at(this.now() + 1, () => {
      this.mode = "stub";
      this.spiAttached = true;
      this.send(slipEncode(OHAI));
    });
  }

  /** Resets the chip as a brown-out or watchdog would, booting according to IO0. */
  resetNow(reason: string): void {
    this.stats.commands[`reset:${reason}`] = (this.stats.commands[`reset:${reason}`] ?? 0) + 1;
    const io0Low = this.options.resetCircuit === "none" || (this.lines.dtr && !this.lines.rts);
    this.boot(io0Low ? "rom" : "app");
  }

  /** Boots into the application (RUN_USER_CODE, FLASH_END reboot, hard reset). */
  runApp(): void {
    this.boot("app");
  }

  private holdInReset(): void {
    this.inReset = true;
    this.epoch++;
    this.mode = "off";
    this.stats.resets++;
  }

  private release(target: "rom" | "app"): void {
    this.inReset = false;
    this.boot(this.options.resetCircuit === "none" ? "rom" : target);
  }

  private boot(target: "rom" | "app"): void {
    this.epoch++;
    this.mode = "off";
    this.queue = [];
    this.processing = false;
    this.decoder.reset();
    this.endFlashOp();
    this.memOp = undefined;
    this.readFlash = undefined;
    this.pendingError = undefined;
    this.ram.clear();
    this.spiAttached = false;
    this.uartBaud = 115200;
    this.busyUntil = 0;
    this.flashFree = 0;
    if (!this.connected) return;
    this.at(this.now() + 2, () => {
      if (target === "rom") {
        this.mode = "rom";
        if (this.faults.noSync) {
          this.mode = "hung";
          return;
        }
        if (this.chip.family === "esp8266") this.send(new TextEncoder().encode(ROM_BANNER_ESP8266), 74880);
        else this.send(new TextEncoder().encode(ROM_BANNERS[this.chip.family] ?? ROM_BANNER_ESP32));
      } else {
        this.mode = "app";
        this.appConsole.boot();
      }
    });
  }

  private enqueue(frame: Uint8Array): void {
    const busy = this.processing || this.now() < this.busyUntil;
    if (this.queue.length >= (busy ? MAX_WAITING_FRAMES : MAX_WAITING_FRAMES + 1)) {
      this.stats.droppedFrames++;
      return;
    }
    this.queue.push(frame);
    this.pump();
  }

  private pump(): void {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    this.at(Math.max(this.now(), this.busyUntil), () => {
      this.processing = false;
      const frame = this.queue.shift();
      if (frame) this.handleFrame(frame);
      this.pump();
    });
  }

  private handleFrame(frame: Uint8Array): void {
    if (this.mode !== "rom" && this.mode !== "stub") return;
    if (this.readFlash && frame.length === 4) {
      handleCommand(this, { op: -1, checksum: 0, data: frame });
      return;
    }
    const cmd = decodeCommand(frame);
    if (!cmd) return;
    const name = `0x${cmd.op.toString(16).padStart(2, "0")}`;
    this.stats.commands[name] = (this.stats.commands[name] ?? 0) + 1;
    if (this.faults.garbage) {
      const junk = new Uint8Array(12 + Math.floor(this.random() * 20));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(this.random() * 256);
      this.send(junk);
      return;
    }
    handleCommand(this, cmd);
  }
}

/** Creates a simulator (loads the chip's stub image first, so uploads can be checked byte for byte). */
export async function createEspSimulator(options: EspSimulatorOptions = {}): Promise<EspSimulator> {
  const chip = CHIPS[options.chip ?? "esp32"];
  if (!chip) throw new Error(`unknown simulator chip ${String(options.chip)}`);
  if (options.resetCircuit === "usb-jtag" && !chip.usbSerialJtag) {
    throw new Error(
      `the ${chip.name} has no USB-Serial-JTAG; simulate it with resetCircuit "classic" or "none"`,
    );
  }
  const stub = await loadStubImage(chip.name);
  return new EspSimulator(options, stub);
}

function parseMac(mac: string | undefined): number[] | undefined {
  if (!mac) return undefined;
  const parts = mac.split(":").map((p) => Number.parseInt(p, 16));
  if (parts.length !== 6 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`invalid simulator MAC "${mac}"`);
  }
  return parts;
}

function defaultMac(chip: ChipInfo, seed: number): number[] {
  const r = prng(seed * 7919 + 17);
  const oui = chip.family === "esp8266" ? [0x18, 0xfe, 0x34] : [0x24, 0x0a, 0xc4];
  return [...oui, Math.floor(r() * 256), Math.floor(r() * 256), Math.floor(r() * 256)];
}
