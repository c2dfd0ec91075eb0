import { type FileHandle, mkdir, open } from "node:fs/promises";
import path from "node:path";
import { type SignalOptions, throwIfAborted, withDeadline } from "../abort";
import type { DeviceRecord, RecordSink } from "../contracts/records";
import { createError, ErrorCodes, isFactoryError } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { CSV_RECORD_COLUMNS, recordToCells } from "./columns";
import { formatCsvRow } from "./csv";
import { fsyncDirectory } from "./fs-sync";
import { localDateStamp } from "./local-time";
import { repairTornTail } from "./repair";

/** Options of {@link createCsvRecordSink}. */
export interface CsvRecordSinkOptions {
  /** Folder of the daily files; created if missing. */
  dir: string;
  /** Decides the day a row is filed under (local midnight starts a new file). Default `new Date()`. */
  clock?: () => Date;
  logger?: Logger;
  /** Longest a `write` waits for its turn and its disk write, in ms. Default 30 000. */
  timeoutMs?: number;
}

/** A {@link RecordSink} writing the daily `factory_records_YYYYMMDD.csv`. */
export interface CsvRecordSink extends RecordSink {
  /** Appends one row, durable (fsynced) when the promise resolves. */
  write(record: DeviceRecord, options?: SignalOptions): Promise<void>;
  /** Waits for queued rows, then closes the file. Later writes reject with `RECORD_FAILED`. */
  close(): Promise<void>;
  /** The file the last row went to, once one was written. */
  readonly currentFile: string | undefined;
}

/** The file name for rows written on `date` (local day). */
export function csvRecordFileName(date: Date, part = 1): string {
  return `factory_records_${localDateStamp(date)}${part > 1 ? `_${part}` : ""}.csv`;
}

const HEADER = Buffer.from(formatCsvRow(CSV_RECORD_COLUMNS));

/**
 * Writes device records to `dir/factory_records_YYYYMMDD.csv`, one row per device.
 *
 * - Every row is one `write()` followed by `fsync`, so a resolved `write` survives a power cut.
 * - Rows from concurrent callers (all ports of a station) are queued and written one at a time.
 * - The file changes at local midnight (by `clock`); the header is written once per file.
 * - When a file is opened, a last row torn by a crash is cut off (the complete rows stay). A file
 *   whose header differs (older column set) is left alone and rows go to `..._2.csv`.
 * - Values are RFC 4180 quoted and defused against spreadsheet formulas; secrets never get in.
 * - One sink per folder: two processes appending to the same file are not coordinated.
 *
 * @example
 * const sink = createCsvRecordSink({ dir: "/var/lib/factory/records" });
 * await sink.write(record, { signal });
 */
export function createCsvRecordSink(options: CsvRecordSinkOptions): CsvRecordSink {
  if (typeof options?.dir !== "string" || options.dir.length === 0) {
    throw createError("core", ErrorCodes.INVALID_ARGUMENT, "createCsvRecordSink needs a folder (dir)");
  }
  const dir = path.resolve(options.dir);
  const clock = options.clock ?? (() => new Date());
  const log = (options.logger ?? noopLogger).child({ component: "csv-records" });
  const timeoutMs = options.timeoutMs ?? 30_000;

  let handle: FileHandle | undefined;
  let openDay: string | undefined;
  let currentFile: string | undefined;
  let closed = false;
  let tail: Promise<unknown> = Promise.resolve();

  async function closeHandle(): Promise<void> {
    const h = handle;
    handle = undefined;
    openDay = undefined;
    if (h) await h.close().catch(() => undefined);
  }

  async function openFor(now: Date): Promise<FileHandle> {
    const day = localDateStamp(now);
    if (handle && openDay === day) return handle;
    await closeHandle();
    await mkdir(dir, { recursive: true });
    for (let part = 1; ; part++) {
      const file = path.join(dir, csvRecordFileName(now, part));
      const h = await open(file, "a+");
      try {
        const state = await repairTornTail(h, HEADER);
        if (state.droppedBytes > 0) {
          log.warn("Cut off a torn last row left by an interrupted write", {
            file,
            droppedBytes: state.droppedBytes,
          });
        }
        if (state.header === "other") {
          log.warn("Record file has other columns; writing to the next file", { file });
          await h.close();
          continue;
        }
        if (state.header === "missing") {
          await writeAll(h, HEADER);
          await h.sync();
          await fsyncDirectory(dir);
        }
      } catch (e) {
        await h.close().catch(() => undefined);
        throw e;
      }
      handle = h;
      openDay = day;
      currentFile = file;
      return h;
    }
  }

  async function append(row: Buffer): Promise<void> {
    try {
      const h = await openFor(clock());
      await writeAll(h, row);
      await h.sync();
    } catch (e) {
      // The file may now end in a partial row: reopen (and repair) before the next row.
      await closeHandle();
      throw createError("core", ErrorCodes.RECORD_FAILED, `Could not write a device record in ${dir}`, {
        cause: e,
        details: { dir, file: currentFile },
      });
    }
  }

  return {
    get currentFile() {
      return currentFile;
    },

    async write(record, opts = {}) {
      if (closed) throw createError("core", ErrorCodes.RECORD_FAILED, "The record file was closed");
      throwIfAborted(opts.signal);
      const row = Buffer.from(formatCsvRow(recordToCells(record)));
      let cancelled = false;
      let started = false;
      const job = tail.then(() => {
        if (cancelled) return;
        started = true;
        return append(row);
      });
      tail = job.catch(() => undefined);
      try {
        await withDeadline("Writing a device record", { signal: opts.signal, timeoutMs }, () => job);
      } catch (e) {
        cancelled = true;
        if (started && isFactoryError(e, [ErrorCodes.ABORTED, ErrorCodes.TIMEOUT])) {
          e.details.rowMayBeWritten = true;
        }
        throw e;
      }
    },

    async close() {
      closed = true;
      await tail;
      await closeHandle();
    },
  };
}

async function writeAll(h: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await h.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    offset += bytesWritten;
  }
}
