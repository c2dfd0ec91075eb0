import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import type { LogSink } from "@factory/core";

export interface RotatingLogOptions {
  file: string;
  /** Bytes before the file is rotated. */
  maxFileSize: number;
  /** Rotated files kept: `file.1` (newest) … `file.N`. 0 truncates instead. */
  backupCount: number;
}

/**
 * A log sink for the seed's `logging:` block: one line per record (`time LEVEL message {fields}`)
 * appended to `file`; when the next line would take it past `maxFileSize`, the file becomes
 * `file.1`, older ones move up and the one beyond `backupCount` is deleted. Fields arrive already
 * redacted by `createLogger`. Write errors are swallowed: a full disk must not stop a flash.
 */
export function createRotatingLogSink(options: RotatingLogOptions): LogSink {
  mkdirSync(path.dirname(options.file), { recursive: true });
  let size = existsSync(options.file) ? statSync(options.file).size : 0;
  const rotate = (): void => {
    if (options.backupCount <= 0) {
      rmSync(options.file, { force: true });
    } else {
      rmSync(`${options.file}.${options.backupCount}`, { force: true });
      for (let i = options.backupCount - 1; i >= 1; i--) {
        if (existsSync(`${options.file}.${i}`))
          renameSync(`${options.file}.${i}`, `${options.file}.${i + 1}`);
      }
      if (existsSync(options.file)) renameSync(options.file, `${options.file}.1`);
    }
    size = 0;
  };
  return ({ level, message, fields, time }) => {
    const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    const line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra}\n`;
    const bytes = Buffer.byteLength(line);
    try {
      if (size > 0 && size + bytes > options.maxFileSize) rotate();
      appendFileSync(options.file, line, { mode: 0o640 });
      size += bytes;
    } catch {
      // Logging never breaks the line.
    }
  };
}
