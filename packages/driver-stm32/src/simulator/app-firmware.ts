import { formatUid } from "../identity/families";
import type { SimulatedChip } from "./chip";

/** What the simulated application answers on its console: a table, or a function of the line. */
export type AppConsoleScript = Record<string, string> | ((line: string) => string | undefined);

/** Faults of the simulated application, for the console tests' failure paths. */
export interface AppFaults {
  /** The application starts but prints no banner. */
  noBanner?: boolean;
  /** Every answer comes back with its last letter or digit changed (a wrong value, not silence). */
  wrongAnswer?: boolean;
}

export interface AppFirmwareOptions {
  /** The application's UART rate (default 115200). */
  baudRate?: number;
  /** The application's UART parity (default `none`: 8N1, what most firmware uses). */
  parity?: "none" | "even" | "odd";
  /** Time from Go or reset release to the banner, ms (clock and peripheral set-up; default 5). */
  bootMs?: number;
  /** First line after start (default `STM32 app <chip> ready`). */
  banner?: string;
  /** Console answers; lines it does not cover get the built-in ones. */
  console?: AppConsoleScript;
  faults?: AppFaults;
}

/** How the application reaches the cable: the bootloader simulator's wire and clock. */
export interface AppHost {
  send(bytes: Uint8Array): void;
  /** Runs `fn` after `ms` on the device's clock. */
  after(ms: number, fn: () => void): void;
}

const SRAM_BASE = 0x2000_0000;
const SRAM_END = 0x2005_0000;

/**
 * The user application of a simulated STM32, run after Go or a reset with BOOT0 low. Like a real
 * Cortex-M it starts only from a plausible vector table (initial stack pointer in SRAM, a Thumb
 * reset handler inside the flash); otherwise it is silent, as a part that hard-faults. Once
 * running it prints a banner, then answers console lines (CR, LF or CRLF terminated):
 * `info` → `OK <chip> <uid>`, `ping` → `pong`, `echo <text>` → `<text>`, anything else →
 * `ERR unknown command: <line>`. It talks 8N1 at 115200 unless configured otherwise.
 */
export class AppFirmware {
  readonly baudRate: number;
  readonly parity: "none" | "even" | "odd";
  faults: AppFaults;
  /** `fault` when the vector table at the start address is not plausible. */
  state: "stopped" | "booting" | "running" | "fault" = "stopped";
  /** Every console line received while running (for tests). */
  readonly received: string[] = [];
  private line = "";
  private generation = 0;

  constructor(
    private readonly chip: SimulatedChip,
    private readonly options: AppFirmwareOptions = {},
  ) {
    this.baudRate = options.baudRate ?? 115200;
    this.parity = options.parity ?? "none";
    this.faults = { ...options.faults };
  }

  /** Starts the application whose vector table is at `address` (Go address or flash base). */
  start(address: number, host: AppHost): void {
    this.generation += 1;
    this.line = "";
    const vectors = this.chip.read(address, 8);
    const view = vectors && new DataView(vectors.buffer, vectors.byteOffset, 8);
    const sp = view?.getUint32(0, true) ?? 0xffff_ffff;
    const pc = view?.getUint32(4, true) ?? 0xffff_ffff;
    const flashEnd = this.chip.flashBase + this.chip.flash.length;
    const plausible =
      sp > SRAM_BASE &&
      sp <= SRAM_END &&
      (pc & 1) === 1 &&
      (pc & ~1) >= this.chip.flashBase &&
      (pc & ~1) < flashEnd;
    if (!plausible) {
      this.state = "fault";
      return;
    }
    this.state = "booting";
    const generation = this.generation;
    host.after(this.options.bootMs ?? 5, () => {
      if (generation !== this.generation) return;
      this.state = "running";
      if (!this.faults.noBanner) {
        host.send(text(this.options.banner ?? `STM32 app ${this.chip.part.name} ready`));
      }
    });
  }

  /** Reset or power-off: the application stops. */
  stop(): void {
    this.generation += 1;
    this.state = "stopped";
    this.line = "";
  }

  /** Bytes from the host while the application runs. */
  receive(bytes: Uint8Array, host: AppHost): void {
    if (this.state !== "running") return;
    for (const b of bytes) {
      if (b === 0x0a || b === 0x0d) {
        const line = this.line.trim();
        this.line = "";
        if (line) this.answer(line, host);
      } else if (this.line.length < 256) this.line += String.fromCharCode(b);
    }
  }

  private answer(line: string, host: AppHost): void {
    this.received.push(line);
    const script = this.options.console;
    let reply: string | undefined;
    if (typeof script === "function") reply = script(line);
    else if (script && Object.hasOwn(script, line)) reply = script[line];
    reply ??= this.builtIn(line);
    if (this.faults.wrongAnswer) reply = corrupt(reply);
    host.send(text(reply));
  }

  private builtIn(line: string): string {
    if (line === "info") return `OK ${this.chip.part.name} ${formatUid(this.chip.uid)}`;
    if (line === "ping") return "pong";
    if (line.startsWith("echo ")) return line.slice(5);
    return `ERR unknown command: ${line}`;
  }
}

function text(line: string): Uint8Array {
  return Buffer.from(`${line}\r\n`, "latin1");
}

/** Changes the last letter or digit of `reply` (a → b, 9 → 0): a wrong value of the same shape. */
function corrupt(reply: string): string {
  for (let i = reply.length - 1; i >= 0; i--) {
    const c = reply[i]!;
    const next = /[0-8a-yA-Y]/.test(c)
      ? String.fromCharCode(c.charCodeAt(0) + 1)
      : c === "9"
        ? "0"
        : /[zZ]/.test(c)
          ? String.fromCharCode(c.charCodeAt(0) - 25)
          : undefined;
    if (next !== undefined) return `${reply.slice(0, i)}${next}${reply.slice(i + 1)}`;
  }
  return `${reply}?`;
}
