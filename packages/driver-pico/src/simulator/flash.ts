import { closeSync, openSync, readSync, writeSync } from "node:fs";

export const SECTOR_SIZE = 4096;
export const PAGE_SIZE = 256;

/**
 * The flash of a simulated board, kept in a file so that what picotool's test double writes, a
 * test (or `picotool save`) reads back from disk. Addresses are offsets from 0x10000000.
 */
export class SimFlash {
  /** Flips bits of programmed bytes from here on (a failing flash chip), for verify tests. */
  corruptAt: number | undefined;

  constructor(
    readonly path: string,
    readonly size: number,
  ) {
    const fd = openSync(path, "w");
    try {
      const erased = Buffer.alloc(SECTOR_SIZE, 0xff);
      for (let at = 0; at < size; at += SECTOR_SIZE) writeSync(fd, erased, 0, SECTOR_SIZE, at);
    } finally {
      closeSync(fd);
    }
  }

  read(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    const out = Buffer.alloc(length);
    const fd = openSync(this.path, "r");
    try {
      readSync(fd, out, 0, length, offset);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /** Erases the 4 KB sector holding `offset`. */
  eraseSector(offset: number): void {
    const base = offset - (offset % SECTOR_SIZE);
    this.writeRaw(base, Buffer.alloc(SECTOR_SIZE, 0xff));
  }

  /** Programs bytes (NOR flash: only 1 → 0 transitions; AND with what is there). */
  program(offset: number, data: Uint8Array): void {
    const current = this.read(offset, data.length);
    const next = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i += 1) {
      let byte = current[i]! & data[i]!;
      if (this.corruptAt !== undefined && offset + i >= this.corruptAt) byte ^= 0x01;
      next[i] = byte;
    }
    this.writeRaw(offset, next);
  }

  private writeRaw(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    const fd = openSync(this.path, "r+");
    try {
      writeSync(fd, data, 0, data.length, offset);
    } finally {
      closeSync(fd);
    }
  }

  private check(offset: number, length: number): void {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`flash access 0x${offset.toString(16)}+${length} outside ${this.size} bytes`);
    }
  }
}
