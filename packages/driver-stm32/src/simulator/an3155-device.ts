import type { DeviceWire, SimModemLines, SimulatedDevice } from "@factory/serial";
import { ACK, Cmd, NACK, SYNC, xorAll } from "../uart/constants";
import { AppFirmware, type AppFirmwareOptions } from "./app-firmware";
import { SimulatedChip, type SimulatedChipOptions } from "./chip";

/** Which modem line drives which pin on the fixture (asserted line = NRST low / BOOT0 high). */
export interface FixtureWiring {
  reset?: "dtr" | "rts";
  boot0?: "dtr" | "rts";
}

export interface An3155SimulatorOptions {
  chip?: SimulatedChip | SimulatedChipOptions;
  /** Bootloader version byte (default 0x31). */
  version?: number;
  /** Erase command offered in Get: 0x44 extended (default) or 0x43 legacy. */
  eraseCommand?: 0x43 | 0x44;
  /** Fixture wiring; without it BOOT0 is strapped high and the part sits in its bootloader. */
  wiring?: FixtureWiring;
  /** Faults: NACK the Write Memory at this address once. */
  nackWriteAt?: number;
  /** The user application that runs after Go or a reset with BOOT0 low (its UART, console, faults). */
  app?: AppFirmwareOptions;
}

type Step = { need: number; then: (bytes: Uint8Array) => void };

/**
 * ST's UART system bootloader (AN3155) as a simulated serial device: 0x7F autobaud, ACK/NACK,
 * Get, Get Version, Get ID, Read Memory, Go, Write Memory, Erase, Extended Erase, Readout
 * (Un)protect and Write Unprotect, with XOR checksums, RDP refusals, flash busy times, and
 * boot0/reset through DTR/RTS when a fixture wiring is given.
 *
 * Timing: busy times (page programming, erase) run on the device's clock (`wire.at`), so a late
 * JavaScript timer does not stretch them; while busy, input is held as the part would leave it in
 * its USART (the host must not send meanwhile). The UART is 8E1 at the rate measured from 0x7F;
 * after Go (or a reset with BOOT0 low) the {@link AppFirmware} owns the UART at its own framing.
 */
export class An3155Simulator implements SimulatedDevice {
  readonly chip: SimulatedChip;
  readonly version: number;
  readonly eraseCommand: 0x43 | 0x44;
  /** `off` while NRST is held low; `app` after Go or a boot with BOOT0 low. */
  mode: "autobaud" | "command" | "app" | "off" = "autobaud";
  /** Every command opcode received, in order (for tests). */
  readonly commands: number[] = [];
  nackWriteAt: number | undefined;
  /** The user application (runs in mode `app`). */
  readonly app: AppFirmware;
  private wire: DeviceWire | undefined;
  /** The rate measured from 0x7F (the bootloader keeps it until reset). */
  private syncedBaud: number | undefined;
  private input: number[] = [];
  private step: Step | undefined;
  private busy = false;
  /** Bumped by every reset: a busy timer from before it must not answer after it. */
  private epoch = 0;
  private readonly wiring: FixtureWiring | undefined;
  private boot0 = false;

  constructor(options: An3155SimulatorOptions = {}) {
    this.chip = options.chip instanceof SimulatedChip ? options.chip : new SimulatedChip(options.chip);
    this.version = options.version ?? 0x31;
    this.eraseCommand = options.eraseCommand ?? 0x44;
    this.wiring = options.wiring;
    this.nackWriteAt = options.nackWriteAt;
    this.app = new AppFirmware(this.chip, options.app);
  }

  /**
   * The rate the part's UART runs at now: the measured one, the application's once it has set up
   * its UART (until then the bootloader's setting stays, so the ACK to Go still goes out at it),
   * or none (autobaud, reset).
   */
  get uartBaudRate(): number | undefined {
    if (this.mode === "app" && this.app.state === "running") return this.app.baudRate;
    if (this.mode === "command" || this.mode === "app") return this.syncedBaud;
    return undefined;
  }

  /** The bootloader's UART is 8E1; the application's is its own once it runs. */
  get uartParity(): "none" | "even" | "odd" | undefined {
    if (this.mode === "app" && this.app.state === "running") return this.app.parity;
    if (this.mode === "command" || this.mode === "autobaud") return "even";
    if (this.mode === "app" && this.syncedBaud !== undefined) return "even";
    return undefined;
  }

  attach(wire: DeviceWire): void {
    this.wire = wire;
  }

  onSignals(lines: SimModemLines): void {
    if (!this.wiring) return;
    const level = (line: "dtr" | "rts" | undefined): boolean => (line ? lines[line] : false);
    this.boot0 = level(this.wiring.boot0);
    const inReset = level(this.wiring.reset);
    if (inReset) {
      this.mode = "off";
      this.epoch += 1;
      this.app.stop();
      this.input = [];
      this.step = undefined;
    } else if (this.mode === "off") {
      this.boot();
    }
  }

  /** Power-on or reset release: BOOT0 decides between bootloader and application. */
  private boot(): void {
    this.input = [];
    this.step = undefined;
    this.busy = false;
    this.epoch += 1;
    this.syncedBaud = undefined;
    this.app.stop();
    if (this.boot0 || !this.wiring?.boot0) {
      this.mode = "autobaud";
      this.chip.runningFrom = undefined;
    } else {
      this.runApp(this.chip.flashBase);
    }
  }

  /** Hands the UART to the user application whose vector table is at `address`. */
  private runApp(address: number): void {
    this.mode = "app";
    this.input = [];
    this.step = undefined;
    this.chip.runningFrom = address;
    this.app.start(address, this.appHost);
  }

  private readonly appHost = {
    send: (bytes: Uint8Array) => this.wire?.send(bytes),
    after: (ms: number, fn: () => void) => this.after(ms, fn),
  };

  /** Runs `fn` `ms` later on the device's clock (the cable's, or a plain timer without one). */
  private after(ms: number, fn: () => void): void {
    const wire = this.wire;
    if (wire && typeof wire.at === "function") wire.at(wire.now() + ms, fn);
    else setTimeout(fn, ms);
  }

  onData(bytes: Uint8Array): void {
    if (this.mode === "app") {
      this.app.receive(bytes, this.appHost);
      return;
    }
    if (this.mode === "off") return;
    for (const b of bytes) this.input.push(b);
    this.pump();
  }

  private send(...bytes: number[]): void {
    this.wire?.send(Uint8Array.from(bytes));
  }

  private expect(need: number, then: (bytes: Uint8Array) => void): void {
    this.step = { need, then };
  }

  /** Replies after the flash's busy time, holding further input meanwhile. */
  private later(ms: number, fn: () => void): void {
    if (ms < 0.5) {
      fn();
      return;
    }
    this.busy = true;
    const epoch = this.epoch;
    this.after(ms, () => {
      if (epoch !== this.epoch) return;
      this.busy = false;
      if (this.mode === "command" || this.mode === "autobaud") fn();
      this.pump();
    });
  }

  private pump(): void {
    while (!this.busy && (this.mode === "autobaud" || this.mode === "command")) {
      if (this.mode === "autobaud") {
        const at = this.input.indexOf(SYNC);
        if (at < 0) {
          this.input = [];
          return;
        }
        this.input.splice(0, at + 1);
        this.mode = "command";
        this.syncedBaud = this.wire?.hostBaudRate;
        this.send(ACK);
        continue;
      }
      if (!this.step) this.expectCommand();
      const step = this.step!;
      if (this.input.length < step.need) return;
      const bytes = Uint8Array.from(this.input.splice(0, step.need));
      this.step = undefined;
      step.then(bytes);
    }
  }

  private expectCommand(): void {
    this.expect(1, ([op]) => {
      if (op === SYNC) {
        this.send(NACK); // already synchronised: 0x7F is no command
        return;
      }
      this.expect(1, ([complement]) => this.command(op!, complement!));
    });
  }

  private command(op: number, complement: number): void {
    if ((op ^ complement) !== 0xff) {
      this.send(NACK);
      return;
    }
    this.commands.push(op);
    const chip = this.chip;
    const rdpAllowed = [Cmd.GET, Cmd.GET_VERSION, Cmd.GET_ID, Cmd.READOUT_UNPROTECT] as number[];
    if (chip.readProtected && !rdpAllowed.includes(op)) {
      this.send(NACK);
      return;
    }
    switch (op) {
      case Cmd.GET: {
        const list = [0x00, 0x01, 0x02, 0x11, 0x21, 0x31, this.eraseCommand, 0x63, 0x73, 0x82, 0x92];
        this.send(ACK, list.length, this.version, ...list, ACK);
        return;
      }
      case Cmd.GET_VERSION:
        this.send(ACK, this.version, 0x00, 0x00, ACK);
        return;
      case Cmd.GET_ID:
        this.send(ACK, 0x01, (chip.part.pid >> 8) & 0xff, chip.part.pid & 0xff, ACK);
        return;
      case Cmd.READ_MEMORY:
        this.send(ACK);
        this.expectAddress(
          (address) => chip.readable(address, 1),
          (address) => {
            this.expect(2, ([n, check]) => {
              const length = n! + 1;
              if ((n! ^ check!) !== 0xff || !chip.readable(address, length)) {
                this.send(NACK);
                return;
              }
              this.send(ACK, ...chip.read(address, length)!);
            });
          },
        );
        return;
      case Cmd.GO:
        this.send(ACK);
        this.expectAddress(
          (address) => chip.readable(address, 4),
          (address) => this.runApp(address),
        );
        return;
      case Cmd.WRITE_MEMORY:
        this.send(ACK);
        this.expectAddress(
          (address) => address % 4 === 0 && chip.readable(address, 1),
          (address) => {
            this.expect(1, ([n]) => {
              this.expect(n! + 2, (rest) => {
                const data = rest.subarray(0, n! + 1);
                if (xorAll(data, n!) !== rest[n! + 1]) {
                  this.send(NACK);
                  return;
                }
                if (this.nackWriteAt === address) {
                  this.nackWriteAt = undefined;
                  this.send(NACK);
                  return;
                }
                const outcome = chip.write(address, data);
                this.later(chip.writeTimeMs(data.length), () => this.send(outcome === "ok" ? ACK : NACK));
              });
            });
          },
        );
        return;
      case Cmd.ERASE:
        if (this.eraseCommand !== Cmd.ERASE) {
          this.send(NACK);
          return;
        }
        this.send(ACK);
        this.expect(1, ([n]) => {
          if (n === 0xff) {
            this.expect(1, ([check]) => {
              if (check !== 0x00) {
                this.send(NACK);
                return;
              }
              chip.massErase();
              this.later(chip.timing.massEraseMs, () => this.send(ACK));
            });
            return;
          }
          this.expect(n! + 2, (rest) => {
            const pages = [...rest.subarray(0, n! + 1)];
            if (xorAll(pages, n!) !== rest[n! + 1]) {
              this.send(NACK);
              return;
            }
            this.erasePages(pages);
          });
        });
        return;
      case Cmd.EXTENDED_ERASE:
        if (this.eraseCommand !== Cmd.EXTENDED_ERASE) {
          this.send(NACK);
          return;
        }
        this.send(ACK);
        this.expect(2, (head) => {
          const value = (head[0]! << 8) | head[1]!;
          if (value >= 0xfffd) {
            this.expect(1, ([check]) => {
              if (check !== (head[0]! ^ head[1]!)) {
                this.send(NACK);
                return;
              }
              chip.massErase();
              this.later(chip.timing.massEraseMs, () => this.send(ACK));
            });
            return;
          }
          this.expect((value + 1) * 2 + 1, (rest) => {
            if (xorAll(rest.subarray(0, rest.length - 1), head[0]! ^ head[1]!) !== rest[rest.length - 1]) {
              this.send(NACK);
              return;
            }
            const pages: number[] = [];
            for (let i = 0; i <= value; i++) pages.push((rest[2 * i]! << 8) | rest[2 * i + 1]!);
            this.erasePages(pages);
          });
        });
        return;
      case Cmd.WRITE_UNPROTECT:
        this.send(ACK, ACK);
        this.boot();
        return;
      case Cmd.READOUT_PROTECT:
        chip.readProtected = true;
        this.send(ACK, ACK);
        this.boot();
        return;
      case Cmd.READOUT_UNPROTECT:
        this.send(ACK);
        chip.unprotect();
        this.later(chip.timing.massEraseMs, () => {
          this.send(ACK);
          this.boot();
        });
        return;
      default:
        this.send(NACK);
    }
  }

  /** Address frame: 4 bytes MSB first and their XOR; NACK when it is corrupt or not acceptable. */
  private expectAddress(valid: (address: number) => boolean, then: (address: number) => void): void {
    this.expect(5, (b) => {
      if (xorAll(b.subarray(0, 4)) !== b[4]) {
        this.send(NACK);
        return;
      }
      const address = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      if (!valid(address)) {
        this.send(NACK);
        return;
      }
      this.send(ACK);
      then(address);
    });
  }

  private erasePages(pages: number[]): void {
    let time = 0;
    for (const page of pages) {
      const size = this.chip.eraseIndex(page);
      if (size === undefined) {
        this.send(NACK);
        return;
      }
      time += this.chip.eraseTimeMs(size);
    }
    this.later(time, () => this.send(ACK));
  }
}
