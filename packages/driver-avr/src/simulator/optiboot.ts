import type { DeviceWire, SimModemLines, SimulatedDevice } from "@factory/serial";
import { runAt } from "@factory/serial";
import { AVR_BOARDS, type AvrBoard, bootStart } from "../boards";
import { Stk } from "../protocol/stk500";
import { AppConsole } from "./app-console";

export interface OptibootSimulatorOptions {
  /** Board to behave like (signature, flash geometry, bootloader baud). Default `uno`. */
  board?: AvrBoard | keyof typeof AVR_BOARDS;
  /** Bootloader version answered to GET_PARAMETER 0x81 / 0x82. Default 8.3 (optiboot v8.3). */
  version?: { major: number; minor: number };
  /**
   * Milliseconds of silence before the bootloader's watchdog starts the application. Default
   * 1000 (optiboot). `null` waits forever, for a pty where the test cannot pulse DTR.
   */
  bootTimeoutMs?: number | null;
  /** `real`: page programming and watchdogs take their time. `instant` (default): no page delay. */
  timing?: "instant" | "real";
  /** Milliseconds between the `14` and `10` of PROG_PAGE (page write; the erase overlaps reception). */
  pageProgramMs?: number;
  /** Initial flash contents (placed at 0); the rest reads 0xFF, the bootloader section holds code. */
  flash?: Uint8Array;
  /** Start in the bootloader (as right after a reset) instead of the application. Default false. */
  startInBootloader?: boolean;
  /** Baud rate of the simulated sketch's console. Default 115200. */
  appBaudRate?: number;
}

/** Counters a test or bench can inspect. */
export interface OptibootStats {
  resets: number;
  commands: number;
  pagesWritten: number;
  pagesRead: number;
  /** Commands whose CRC_EOP byte was wrong (each sends the chip into a watchdog reset). */
  eopErrors: number;
  /** Bytes lost because they arrived while the chip was busy and the UART FIFO was full. */
  overruns: number;
  /** Milliseconds spent programming pages (the device-side floor of a flash time). */
  programMs: number;
}

/** Bytes the ATmega UART holds while the CPU is busy: a 2-byte FIFO plus the shift register. */
const UART_HOLD = 3;

/**
 * An ATmega running optiboot (PROTOCOLS.md §3.2), byte for byte: every command must end in
 * CRC_EOP or the chip resets through a 16 ms watchdog without answering (never NOSYNC); `14` is
 * sent when the EOP is checked and `10` after the work; PROG_PAGE answers `14`, programs the page,
 * then `10`; LEAVE_PROGMODE and the 1 s silence watchdog start the application. A DTR assertion
 * (the auto-reset capacitor) is an external reset and enters the bootloader. The bootloader
 * section cannot be written (lock bits), as on a real board.
 *
 * @example
 * const binding = createSimBinding();
 * const sim = createOptibootSimulator({ board: "uno" });
 * binding.add("sim:avr-0", sim);
 */
export class OptibootSimulator implements SimulatedDevice {
  readonly board: AvrBoard;
  readonly flash: Uint8Array;
  readonly stats: OptibootStats = {
    resets: 0,
    commands: 0,
    pagesWritten: 0,
    pagesRead: 0,
    eopErrors: 0,
    overruns: 0,
    programMs: 0,
  };
  mode: "bootloader" | "app" | "resetting" = "app";
  private wire: DeviceWire | undefined;
  private rx: number[] = [];
  private busy = false;
  private address = 0;
  /** RAMPZ bits above bit 0, set by the UNIVERSAL "load extended address" on parts above 128 KiB. */
  private extended = 0;
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private lastDtr = false;
  private readonly options: OptibootSimulatorOptions;
  private readonly console: AppConsole;

  constructor(options: OptibootSimulatorOptions = {}) {
    this.options = options;
    const board = options.board ?? "uno";
    this.board = typeof board === "string" ? AVR_BOARDS[board]! : board;
    this.flash = new Uint8Array(this.board.flashSize).fill(0xff);
    // The bootloader section holds code; a deterministic pattern stands in for it.
    for (let i = bootStart(this.board); i < this.board.flashSize; i += 1) this.flash[i] = (i * 13 + 7) & 0xff;
    if (options.flash) this.flash.set(options.flash.subarray(0, bootStart(this.board)));
    this.console = new AppConsole(this);
    if (options.startInBootloader) this.enterBootloader();
  }

  get uartBaudRate(): number {
    return this.mode === "app" ? (this.options.appBaudRate ?? 115200) : this.board.baudRate;
  }

  attach(wire: DeviceWire): void {
    this.wire = wire;
  }

  /** Sends bytes to the host (used by the app console too). */
  send(bytes: Uint8Array): void {
    this.wire?.send(bytes);
  }

  /** The reset button: an external reset, so optiboot runs. */
  pressReset(): void {
    this.enterBootloader();
  }

  onSignals(lines: SimModemLines): void {
    // The auto-reset circuit couples DTR through 100 nF into RESET: asserting DTR (pin going low)
    // pulls RESET low for a moment. Releasing it, or holding it, does nothing.
    if (lines.dtr && !this.lastDtr) this.enterBootloader();
    this.lastDtr = lines.dtr;
  }

  onData(bytes: Uint8Array): void {
    if (this.mode === "resetting") return;
    if (this.mode === "app") {
      this.console.receive(bytes);
      return;
    }
    for (const b of bytes) {
      if (this.busy && this.rx.length >= UART_HOLD) {
        this.stats.overruns += 1;
        continue;
      }
      this.rx.push(b);
    }
    // optiboot resets its watchdog in getch(): any received byte keeps it in the bootloader.
    this.kickWatchdog();
    this.process();
  }

  private enterBootloader(): void {
    this.stats.resets += 1;
    this.rx = [];
    this.busy = false;
    this.address = 0;
    this.extended = 0;
    this.mode = "bootloader";
    this.console.reset();
    this.kickWatchdog();
  }

  private startApp(): void {
    this.clearWatchdog();
    this.rx = [];
    this.busy = false;
    this.mode = "app";
    this.console.reset();
  }

  /** A watchdog reset: the chip is gone for `ms`, then the application starts. */
  private watchdogReset(ms: number): void {
    this.clearWatchdog();
    this.mode = "resetting";
    this.rx = [];
    this.watchdog = setTimeout(() => this.startApp(), ms);
  }

  private kickWatchdog(): void {
    this.clearWatchdog();
    const timeout = this.options.bootTimeoutMs === undefined ? 1000 : this.options.bootTimeoutMs;
    if (timeout !== null) this.watchdog = setTimeout(() => this.startApp(), timeout);
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  /** Bytes a command needs, including its CRC_EOP, once enough of it is known. */
  private needed(): number | undefined {
    const cmd = this.rx[0];
    if (cmd === undefined) return undefined;
    switch (cmd) {
      case Stk.GET_PARAMETER:
        return 3;
      case Stk.SET_DEVICE:
        return 22;
      case Stk.SET_DEVICE_EXT:
        return 7;
      case Stk.LOAD_ADDRESS:
        return 4;
      case Stk.UNIVERSAL:
        return 6;
      case Stk.PROG_PAGE:
        return this.rx.length < 3 ? undefined : 5 + ((this.rx[1]! << 8) | this.rx[2]!);
      case Stk.READ_PAGE:
        return 5;
      default:
        return 2;
    }
  }

  private process(): void {
    while (this.mode === "bootloader" && !this.busy) {
      const need = this.needed();
      if (need === undefined || this.rx.length < need) return;
      const frame = this.rx.splice(0, need);
      if (frame[need - 1] !== Stk.CRC_EOP) {
        // verifySpace(): a wrong EOP arms a 16 ms watchdog and waits for it; nothing is sent.
        this.stats.eopErrors += 1;
        this.watchdogReset(16);
        return;
      }
      this.stats.commands += 1;
      this.execute(frame);
    }
  }

  private reply(...bytes: number[]): void {
    this.send(Uint8Array.from(bytes));
  }

  private execute(frame: number[]): void {
    const cmd = frame[0]!;
    switch (cmd) {
      case Stk.GET_PARAMETER: {
        const param = frame[1]!;
        const version = this.options.version ?? { major: 8, minor: 3 };
        const value = param === Stk.SW_MAJOR ? version.major : param === Stk.SW_MINOR ? version.minor : 0x03;
        this.reply(Stk.INSYNC, value, Stk.OK);
        return;
      }
      case Stk.LOAD_ADDRESS: {
        const word = frame[1]! | (frame[2]! << 8);
        // Word address; doubled to a byte address, bit 15 landing in RAMPZ bit 0 (byte bit 16).
        this.address = (this.extended << 17) + word * 2;
        this.reply(Stk.INSYNC, Stk.OK);
        return;
      }
      case Stk.UNIVERSAL:
        // Only "load extended address" means anything to optiboot (on parts with RAMPZ).
        if (frame[1] === Stk.AVR_OP_LOAD_EXT_ADDR && this.board.flashSize > 0x20000)
          this.extended = frame[3]!;
        this.reply(Stk.INSYNC, 0x00, Stk.OK);
        return;
      case Stk.READ_SIGN:
        this.reply(Stk.INSYNC, ...this.board.signature, Stk.OK);
        return;
      case Stk.PROG_PAGE:
        this.progPage(frame);
        return;
      case Stk.READ_PAGE: {
        const length = (frame[1]! << 8) | frame[2]!;
        const memory = String.fromCharCode(frame[3]!);
        const out = new Uint8Array(length + 2);
        out[0] = Stk.INSYNC;
        for (let i = 0; i < length; i += 1) {
          out[1 + i] =
            memory === "F" ? (this.flash[(this.address + i) % this.board.flashSize] ?? 0xff) : 0xff;
        }
        out[length + 1] = Stk.OK;
        this.stats.pagesRead += 1;
        this.send(out);
        return;
      }
      case Stk.LEAVE_PROGMODE:
        this.reply(Stk.INSYNC, Stk.OK);
        this.watchdogReset(16);
        return;
      default:
        // GET_SYNC, ENTER_PROGMODE, SET_DEVICE(_EXT) and anything unknown: just in sync.
        this.reply(Stk.INSYNC, Stk.OK);
    }
  }

  private progPage(frame: number[]): void {
    const length = (frame[1]! << 8) | frame[2]!;
    const memory = String.fromCharCode(frame[3]!);
    const data = frame.slice(4, 4 + length);
    this.reply(Stk.INSYNC);
    const address = this.address;
    const writable = memory === "F" && address + length <= bootStart(this.board);
    if (writable) {
      // Erase the page(s), then write: bytes of the page not sent read as erased.
      const page = this.board.pageSize;
      const first = address - (address % page);
      this.flash.fill(0xff, first, first + Math.ceil((address - first + length) / page) * page);
      this.flash.set(data, address);
      this.stats.pagesWritten += 1;
    }
    const ms = this.options.pageProgramMs ?? 4;
    if (this.options.timing !== "real") {
      this.reply(Stk.OK);
      return;
    }
    this.busy = true;
    this.stats.programMs += ms;
    const done = (): void => {
      if (this.mode !== "bootloader") return;
      this.busy = false;
      this.reply(Stk.OK);
      this.process();
    };
    if (this.wire) this.wire.at(this.wire.now() + ms, done);
    else runAt(performance.now() + ms, done);
  }
}

/** Creates an {@link OptibootSimulator}. */
export function createOptibootSimulator(options: OptibootSimulatorOptions = {}): OptibootSimulator {
  return new OptibootSimulator(options);
}
