/**
 * The simulated SPI NOR flash: erase sets bytes to 0xFF, programming can only clear bits (as on a
 * real NOR chip, so a write without an erase shows up as wrong content), and every operation has a
 * configurable duration.
 */

export const SECTOR = 0x1000;
export const BLOCK = 0x10000;
export const PAGE = 0x100;

/** Durations of flash operations. All zero means "flash timing off". */
export interface FlashTiming {
  /** 4 KiB sector erase. */
  sectorEraseMs: number;
  /** 64 KiB block erase (used for aligned 64 KiB runs). */
  blockEraseMs: number;
  /** 256-byte page program. */
  pageProgramMs: number;
  /** Whole-chip erase. */
  chipEraseMs: number;
  /** Flash read + MD5 throughput, in MiB per second (0 = instant). */
  md5MiBps: number;
}

/** Figures of a typical 4 MB SPI NOR part (W25Q32-class datasheet typical values, derated). */
export const REALISTIC_FLASH_TIMING: FlashTiming = {
  sectorEraseMs: 45,
  blockEraseMs: 300,
  pageProgramMs: 0.8,
  chipEraseMs: 10_000,
  md5MiBps: 8,
};

export const NO_FLASH_TIMING: FlashTiming = {
  sectorEraseMs: 0,
  blockEraseMs: 0,
  pageProgramMs: 0,
  chipEraseMs: 0,
  md5MiBps: 0,
};

export class SimFlash {
  readonly bytes: Uint8Array;
  timing: FlashTiming;
  /** Bytes programmed since power-on (for the "reset mid-write" fault). */
  programmed = 0;

  constructor(size: number, timing: FlashTiming) {
    this.bytes = new Uint8Array(size).fill(0xff);
    this.timing = timing;
  }

  get size(): number {
    return this.bytes.length;
  }

  /** Erases [offset, offset+length) rounded out to sectors; returns the time it takes. */
  erase(offset: number, length: number): number {
    if (length <= 0) return 0;
    let start = Math.floor(offset / SECTOR) * SECTOR;
    const end = Math.min(this.size, Math.ceil((offset + length) / SECTOR) * SECTOR);
    let ms = 0;
    while (start < end) {
      const block = start % BLOCK === 0 && end - start >= BLOCK;
      const n = block ? BLOCK : SECTOR;
      this.bytes.fill(0xff, start, start + n);
      ms += block ? this.timing.blockEraseMs : this.timing.sectorEraseMs;
      start += n;
    }
    return ms;
  }

  /** Time to erase [offset, offset+length) without doing it. */
  eraseCost(offset: number, length: number): number {
    let start = Math.floor(offset / SECTOR) * SECTOR;
    const end = Math.ceil((offset + length) / SECTOR) * SECTOR;
    let ms = 0;
    while (start < end) {
      const block = start % BLOCK === 0 && end - start >= BLOCK;
      ms += block ? this.timing.blockEraseMs : this.timing.sectorEraseMs;
      start += block ? BLOCK : SECTOR;
    }
    return ms;
  }

  eraseAll(): number {
    this.bytes.fill(0xff);
    return this.timing.chipEraseMs;
  }

  /** Programs `data` at `offset` (NOR semantics: AND); returns the time it takes. */
  program(offset: number, data: Uint8Array): number {
    const end = Math.min(this.size, offset + data.length);
    const bytes = this.bytes;
    for (let i = offset; i < end; i++) bytes[i] = (bytes[i] as number) & (data[i - offset] as number);
    this.programmed += end - offset;
    return (Math.ceil((end - offset) / PAGE) || 0) * this.timing.pageProgramMs;
  }

  read(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }

  md5Cost(length: number): number {
    return this.timing.md5MiBps > 0 ? (length / (1024 * 1024) / this.timing.md5MiBps) * 1000 : 0;
  }
}
