import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { createError, ErrorCodes } from "../errors";

/**
 * An append-only queue of JSON entries in one file, for work that must survive a crash or a
 * power cut (registrations waiting for the server). Each append is one write + fsync; removal
 * rewrites the file through a temporary file and a rename, so a crash never leaves a torn queue.
 * A torn last line (a crash mid-append) is dropped when the queue is read. The file is created
 * mode 0600: entries may hold secrets until they are delivered.
 */
export class DurableQueue<T> {
  constructor(readonly file: string) {}

  append(entry: T): void {
    const fd = openSync(this.file, "a+", 0o600);
    try {
      dropTornTail(fd);
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Every complete entry, oldest first. */
  read(): T[] {
    if (!existsSync(this.file)) return [];
    const text = readFileSync(this.file, "utf8");
    const lines = text.split("\n");
    lines.pop(); // the part after the last newline is empty, or a torn append
    const entries: T[] = [];
    for (const [index, line] of lines.entries()) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as T);
      } catch (cause) {
        throw createError(
          "core",
          ErrorCodes.RECORD_FAILED,
          `${this.file} line ${index + 1} is not valid JSON`,
          { cause },
        );
      }
    }
    return entries;
  }

  /** Replaces the queue's content atomically (the entries still to deliver). */
  replace(entries: readonly T[]): void {
    if (entries.length === 0) {
      if (existsSync(this.file)) unlinkSync(this.file);
      return;
    }
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dir = openSync(path.dirname(this.file), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /**
   * Delivers the entries oldest first with `send`. An entry `send` rejects is dropped when
   * `dropped(entry, error)` says the receiver will never take it (returns true), so it cannot
   * block the queue; any other rejection stops the drain, and that entry and the rest stay queued
   * in order. The file is rewritten only when something left it.
   */
  async drain(
    send: (entry: T) => Promise<unknown>,
    dropped: (entry: T, error: unknown) => boolean,
  ): Promise<{ delivered: number; pending: number }> {
    const waiting = this.read();
    let delivered = 0;
    const left: T[] = [];
    for (const [index, entry] of waiting.entries()) {
      try {
        await send(entry);
        delivered += 1;
      } catch (error) {
        if (dropped(entry, error)) continue;
        left.push(...waiting.slice(index));
        break;
      }
    }
    if (left.length !== waiting.length) this.replace(left);
    return { delivered, pending: left.length };
  }

  get size(): number {
    return this.read().length;
  }
}

/** Truncates a file that does not end in a newline back to its last complete line. */
function dropTornTail(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  const chunk = Buffer.alloc(Math.min(size, 1 << 20));
  const start = size - chunk.length;
  readSync(fd, chunk, 0, chunk.length, start);
  const newline = chunk.lastIndexOf(0x0a);
  ftruncateSync(fd, newline < 0 ? Math.max(0, start) : start + newline + 1);
}
