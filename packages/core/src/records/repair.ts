import type { FileHandle } from "node:fs/promises";
import { parseCsv } from "./csv";

/** What {@link repairTornTail} found. */
export interface TailState {
  /** Bytes cut off the end (a partial last row). */
  droppedBytes: number;
  /** `missing`: the file is empty; `ok`: it starts with `header`; `other`: different columns. */
  header: "missing" | "ok" | "other";
}

/**
 * Cuts a record file back to its last complete CSV record, so rows appended afterwards start on a
 * fresh line. A crash during `write()` can leave a partial row, possibly ending inside a quoted
 * field, with or without a line break; the whole file is parsed to find where the last complete
 * record ends. Truncation is fsynced before anything else is written.
 */
export async function repairTornTail(h: FileHandle, header: Buffer): Promise<TailState> {
  const { size } = await h.stat();
  if (size === 0) return { droppedBytes: 0, header: "missing" };
  const data = Buffer.alloc(size);
  let read = 0;
  while (read < size) {
    const { bytesRead } = await h.read(data, read, size - read, read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  const text = data.subarray(0, read).toString("utf8");
  const parsed = parseCsv(text);
  let droppedBytes = 0;
  if (parsed.torn) {
    const keep = Buffer.byteLength(text.slice(0, parsed.completeLength), "utf8");
    droppedBytes = size - keep;
    await h.truncate(keep);
    await h.sync();
  }
  if (parsed.rows.length === 0) return { droppedBytes, header: "missing" };
  const first = data.subarray(0, header.length);
  return { droppedBytes, header: first.equals(header) ? "ok" : "other" };
}
