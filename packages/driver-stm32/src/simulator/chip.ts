import { partForPid, partLayout, type Stm32Part, uidWordAddresses } from "../identity/families";
import { type FlashLayout, sectorAt } from "../identity/flash-layout";

/** How long the simulated flash takes, ms; reported as DFU poll timeouts and as UART ACK delays. */
export interface FlashTiming {
  /** Per KB of an erased page or sector. */
  eraseMsPerKb: number;
  /** Whole-chip erase. */
  massEraseMs: number;
  /** Per KB programmed. */
  writeMsPerKb: number;
  /**
   * Erase time of a page or sector by its size in bytes, where it is not proportional to size
   * (F2/F4 sectors); sizes not listed use `eraseMsPerKb`.
   */
  sectorEraseMs?: Readonly<Record<number, number>>;
}

/** Fast enough for tests, slow enough that a driver ignoring busy times is caught. */
export const TEST_TIMING: FlashTiming = { eraseMsPerKb: 0.02, massEraseMs: 5, writeMsPerKb: 0.05 };

/**
 * STM32F405/407 flash times, typical values of the data sheet (DS8626, "Flash memory
 * programming", 2.7–3.6 V, x32 parallelism): word programming 16 µs (so 4.096 ms per KB, about
 * 1 ms per 256-byte Write Memory block), sector erase 250 ms for 16 KB, 550 ms for 64 KB, 1 s for
 * 128 KB, mass erase 8 s. Maxima are several times higher (100 µs per word, 4 s per 128 KB);
 * bench figures with these are typical-part figures.
 */
export const F4_DATASHEET_TIMING: FlashTiming = {
  writeMsPerKb: 4.096,
  eraseMsPerKb: 8,
  massEraseMs: 8000,
  sectorEraseMs: { 16384: 250, 65536: 550, 131072: 1000 },
};

export interface SimulatedChipOptions {
  /** Product ID (default 0x413, STM32F40x/41x). */
  pid?: number;
  /** Flash size in bytes (default the family's largest); written to the flash-size register. */
  flashSize?: number;
  /** The 96-bit unique ID as three words (default derived from `seed`). */
  uid?: readonly [number, number, number];
  /** Seeds the default UID so that several simulated parts differ. */
  seed?: number;
  /** Read-out protection level 1 is active. */
  readProtected?: boolean;
  timing?: Partial<FlashTiming>;
}

export type WriteOutcome = "ok" | "unmapped" | "not-erased" | "protected";

const SRAM_BASE = 0x2000_0000;
const SRAM_SIZE = 128 * 1024;

/**
 * The memory of one simulated STM32 behind its system bootloader: flash with the part's page or
 * sector layout (erased = 0xFF, programming needs erased cells), SRAM, and the system-memory words
 * holding the unique ID and the flash-size register. Both transport simulators share it.
 */
export class SimulatedChip {
  readonly part: Stm32Part;
  readonly layout: FlashLayout;
  readonly flash: Uint8Array;
  readonly sram = new Uint8Array(SRAM_SIZE);
  readonly uid: readonly [number, number, number];
  readonly timing: FlashTiming;
  readProtected: boolean;
  /** Where the last Go / leave jumped to; undefined while in the bootloader. */
  runningFrom: number | undefined;
  private readonly info = new Map<number, number>();
  private readonly infoWindows: [number, number][] = [];

  constructor(options: SimulatedChipOptions = {}) {
    const part = partForPid(options.pid ?? 0x413);
    if (!part) throw new Error(`[driver-stm32/simulator] unknown product ID ${options.pid}`);
    this.part = part;
    this.layout = partLayout(part, options.flashSize);
    this.flash = new Uint8Array(this.layout.size).fill(0xff);
    const seed = options.seed ?? 1;
    this.uid = options.uid ?? [
      (0x0031_0040 + seed * 0x10001) >>> 0,
      (0x3236_5104 ^ (seed * 0x9e37_79b9)) >>> 0,
      (0x3831_3733 + seed) >>> 0,
    ];
    this.readProtected = options.readProtected ?? false;
    this.timing = { ...TEST_TIMING, ...options.timing };
    for (const [i, address] of uidWordAddresses(part).entries()) this.setInfoWord(address, this.uid[i]!);
    const kb = this.layout.size / 1024;
    this.info.set(part.flashSizeRegister, kb & 0xff);
    this.info.set(part.flashSizeRegister + 1, (kb >> 8) & 0xff);
    for (const address of [part.uid.base, part.flashSizeRegister]) {
      const start = address & ~0xff;
      this.infoWindows.push([start, start + 0x100]);
    }
  }

  get flashBase(): number {
    return this.layout.base;
  }

  private setInfoWord(address: number, value: number): void {
    for (let i = 0; i < 4; i++) this.info.set(address + i, (value >>> (8 * i)) & 0xff);
  }

  private inFlash(address: number, length: number): boolean {
    return address >= this.flashBase && address + length <= this.flashBase + this.flash.length;
  }

  private inSram(address: number, length: number): boolean {
    return address >= SRAM_BASE && address + length <= SRAM_BASE + SRAM_SIZE;
  }

  private inInfo(address: number, length: number): boolean {
    return this.infoWindows.some(([s, e]) => address >= s && address + length <= e);
  }

  /** True when the whole range is mapped and readable (ignoring read protection). */
  readable(address: number, length: number): boolean {
    return this.inFlash(address, length) || this.inSram(address, length) || this.inInfo(address, length);
  }

  /** Reads memory; undefined when unmapped. Read protection is the transports' business. */
  read(address: number, length: number): Uint8Array | undefined {
    if (this.inFlash(address, length))
      return this.flash.slice(address - this.flashBase, address - this.flashBase + length);
    if (this.inSram(address, length))
      return this.sram.slice(address - SRAM_BASE, address - SRAM_BASE + length);
    if (this.inInfo(address, length)) {
      return Uint8Array.from({ length }, (_, i) => this.info.get(address + i) ?? 0xff);
    }
    return undefined;
  }

  /** Programs flash (cells must be erased unless unchanged) or writes SRAM. */
  write(address: number, data: Uint8Array): WriteOutcome {
    if (this.readProtected && !this.inSram(address, data.length)) return "protected";
    if (this.inSram(address, data.length)) {
      this.sram.set(data, address - SRAM_BASE);
      return "ok";
    }
    if (!this.inFlash(address, data.length)) return "unmapped";
    const offset = address - this.flashBase;
    for (let i = 0; i < data.length; i++) {
      const held = this.flash[offset + i]!;
      if (held !== 0xff && held !== data[i]) return "not-erased";
    }
    this.flash.set(data, offset);
    return "ok";
  }

  /** Erases the sector holding `address`; false when there is none. Returns its size. */
  eraseAt(address: number): number | undefined {
    const sector = sectorAt(this.layout, address);
    if (!sector) return undefined;
    this.flash.fill(0xff, sector.start - this.flashBase, sector.start - this.flashBase + sector.size);
    return sector.size;
  }

  /** Erases page or sector number `index`; its size, or undefined for a bad number. */
  eraseIndex(index: number): number | undefined {
    const sector = this.layout.sectors[index];
    return sector ? this.eraseAt(sector.start) : undefined;
  }

  massErase(): void {
    this.flash.fill(0xff);
  }

  /** Readout unprotect: the part mass-erases and drops protection. */
  unprotect(): void {
    this.massErase();
    this.readProtected = false;
  }

  eraseTimeMs(bytes: number): number {
    return this.timing.sectorEraseMs?.[bytes] ?? (bytes / 1024) * this.timing.eraseMsPerKb;
  }

  writeTimeMs(bytes: number): number {
    return (bytes / 1024) * this.timing.writeMsPerKb;
  }
}
