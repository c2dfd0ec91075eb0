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

/** One erased sector, shared read-only: what a sector that was never programmed reads as. */
const ERASED_SECTOR = new Uint8Array(SECTOR).fill(0xff);

/**
 * The flash array, sparse: a sector takes memory only once it is programmed (erased sectors read
 * 0xFF), so 48 simulated 4 MiB boards flashing 1 MB each hold about 50 MB, not 192 MB. Memory is
 * taken per 64 KiB block (one allocation for its 16 sectors, freed when all of them are erased
 * again). Each programmed sector also knows from where on it is still erased, so the usual
 * sequential write into a freshly erased sector is a plain copy while any other write keeps NOR
 * semantics (AND).
 */
export class SimFlash {
  readonly size: number;
  timing: FlashTiming;
  /** Bytes programmed since power-on (for the "reset mid-write" fault). */
  programmed = 0;
  /** Per sector: its bytes (a view into its block's memory), or undefined while erased. */
  private readonly sectors: (Uint8Array | undefined)[];
  /** Per sector: every byte from this index on is still erased (0xFF). */
  private readonly erasedFrom: Uint16Array;
  /** Per 64 KiB block: the memory its programmed sectors live in, and how many there are. */
  private readonly blocks: (Uint8Array | undefined)[];
  private readonly liveSectors: Uint8Array;

  constructor(size: number, timing: FlashTiming) {
    this.size = size;
    this.timing = timing;
    const count = Math.ceil(size / SECTOR);
    this.sectors = new Array<Uint8Array | undefined>(count).fill(undefined);
    this.erasedFrom = new Uint16Array(count);
    const blocks = Math.ceil(size / BLOCK);
    this.blocks = new Array<Uint8Array | undefined>(blocks).fill(undefined);
    this.liveSectors = new Uint8Array(blocks);
  }

  /** Bytes of memory the programmed sectors hold (for tests and the bench). */
  get allocatedBytes(): number {
    let n = 0;
    for (const b of this.blocks) if (b) n += b.length;
    return n;
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
      for (let s = start / SECTOR; s < (start + n) / SECTOR; s++) this.dropSector(s);
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
    this.sectors.fill(undefined);
    this.blocks.fill(undefined);
    this.liveSectors.fill(0);
    return this.timing.chipEraseMs;
  }

  /** Programs `data` at `offset` (NOR semantics: AND); returns the time it takes. */
  program(offset: number, data: Uint8Array): number {
    const end = Math.min(this.size, offset + data.length);
    if (end <= offset) return 0;
    this.writeBits(offset, data.subarray(0, end - offset), true);
    this.programmed += end - offset;
    return Math.ceil((end - offset) / PAGE) * this.timing.pageProgramMs;
  }

  /** Overwrites bytes as they are (out of band: preloading an image, a stuck bit). */
  write(offset: number, data: Uint8Array): void {
    const end = Math.min(this.size, offset + data.length);
    if (end > offset) this.writeBits(offset, data.subarray(0, end - offset), false);
  }

  /** The byte at `offset`. */
  byteAt(offset: number): number {
    const s = this.sectors[Math.floor(offset / SECTOR)];
    return s ? (s[offset % SECTOR] as number) : 0xff;
  }

  /** A copy of [offset, offset+length). */
  read(offset: number, length: number): Uint8Array {
    const end = Math.min(this.size, offset + length);
    const out = new Uint8Array(Math.max(0, end - offset));
    this.forEachRun(offset, end, (run, at) => out.set(run, at - offset));
    return out;
  }

  /** Feeds [offset, offset+length) to `hash` sector by sector, without copying. */
  hash(offset: number, length: number, hash: { update(data: Uint8Array): unknown }): void {
    this.forEachRun(offset, Math.min(this.size, offset + length), (run) => hash.update(run));
  }

  md5Cost(length: number): number {
    return this.timing.md5MiBps > 0 ? (length / (1024 * 1024) / this.timing.md5MiBps) * 1000 : 0;
  }

  private forEachRun(offset: number, end: number, fn: (run: Uint8Array, at: number) => void): void {
    for (let at = offset; at < end; ) {
      const index = Math.floor(at / SECTOR);
      const from = at - index * SECTOR;
      const to = Math.min(SECTOR, end - index * SECTOR);
      fn((this.sectors[index] ?? ERASED_SECTOR).subarray(from, to), at);
      at += to - from;
    }
  }

  private takeSector(index: number): Uint8Array {
    const b = Math.floor((index * SECTOR) / BLOCK);
    let block = this.blocks[b];
    if (!block) {
      block = new Uint8Array(Math.min(BLOCK, this.size - b * BLOCK));
      this.blocks[b] = block;
    }
    const from = index * SECTOR - b * BLOCK;
    const sector = block.subarray(from, from + SECTOR).fill(0xff);
    this.sectors[index] = sector;
    this.erasedFrom[index] = 0;
    this.liveSectors[b] = (this.liveSectors[b] as number) + 1;
    return sector;
  }

  private dropSector(index: number): void {
    if (!this.sectors[index]) return;
    this.sectors[index] = undefined;
    const b = Math.floor((index * SECTOR) / BLOCK);
    const live = (this.liveSectors[b] as number) - 1;
    this.liveSectors[b] = live;
    if (live === 0) this.blocks[b] = undefined;
  }

  private writeBits(offset: number, data: Uint8Array, and: boolean): void {
    const end = offset + data.length;
    for (let at = offset; at < end; ) {
      const index = Math.floor(at / SECTOR);
      const from = at - index * SECTOR;
      const to = Math.min(SECTOR, end - index * SECTOR);
      const src = data.subarray(at - offset, at - offset + (to - from));
      const sector = this.sectors[index] ?? this.takeSector(index);
      const clean = this.erasedFrom[index] as number;
      if (!and || from >= clean) sector.set(src, from);
      else {
        // Bytes below the erased mark may hold data: a NOR program only clears bits there.
        const split = Math.min(to, clean);
        for (let i = from; i < split; i++) sector[i] = (sector[i] as number) & (src[i - from] as number);
        if (to > split) sector.set(src.subarray(split - from), split);
      }
      if (to > clean) this.erasedFrom[index] = to;
      at += to - from;
    }
  }
}
