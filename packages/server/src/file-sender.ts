import { close, open, read } from "node:fs";
import type { ServerResponse } from "node:http";

export interface FileSenderOptions {
  /** Bytes read and written per step (default 512 KiB). */
  chunkBytes?: number;
  /** Buffers kept for reuse between responses (default 64). */
  keepBuffers?: number;
}

/** Sends `file[start..end]` (inclusive) as the body of `res`, whose headers are already set. */
export type SendFile = (res: ServerResponse, file: string, start: number, end: number) => Promise<void>;

const prematureClose = () =>
  Object.assign(new Error("The client went away during the download"), {
    code: "ERR_STREAM_PREMATURE_CLOSE",
  });

/**
 * Streams file ranges into HTTP responses with two reusable buffers per response: the next
 * chunk is read while the previous one is being written, a buffer is refilled only after the
 * socket took all of it (that is the backpressure), and buffers go back to a shared free list
 * instead of being allocated (and zero-filled by the kernel) for every chunk. Never holds more
 * than two chunks of a file in memory per response.
 */
export function createFileSender(o: FileSenderOptions = {}): SendFile {
  const size = o.chunkBytes ?? 512 * 1024;
  const keep = o.keepBuffers ?? 64;
  const free: Buffer[] = [];
  const take = () => free.pop() ?? Buffer.allocUnsafeSlow(size);
  const give = (b: Buffer) => {
    if (free.length < keep) free.push(b);
  };

  return (res, file, start, end) =>
    new Promise<void>((resolve, reject) => {
      let fd = -1;
      let position = start;
      let inFlight = 0;
      let reading = false;
      let done = false;
      const spare: Buffer[] = [];
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        res.off("close", onClose);
        for (const b of spare.splice(0)) give(b);
        if (fd >= 0) close(fd, () => undefined);
        if (error) reject(error);
        else resolve();
      };
      const onClose = () => {
        if (!res.writableFinished) finish(prematureClose());
      };
      res.on("close", onClose);

      const pump = () => {
        if (done || reading) return;
        if (position > end) {
          if (inFlight === 0) res.end(() => finish());
          return;
        }
        if (inFlight >= 2) return;
        const buffer = spare.pop() ?? take();
        const length = Math.min(buffer.length, end - position + 1);
        reading = true;
        read(fd, buffer, 0, length, position, (error, bytes) => {
          reading = false;
          if (done) return give(buffer);
          if (error || bytes === 0) {
            give(buffer);
            return finish(error ?? new Error(`${file} is shorter than its announced size`));
          }
          position += bytes;
          inFlight += 1;
          res.write(bytes === buffer.length ? buffer : buffer.subarray(0, bytes), (writeError) => {
            inFlight -= 1;
            if (done) return give(buffer);
            spare.push(buffer);
            if (writeError) return finish(writeError);
            pump();
          });
          pump();
        });
      };

      open(file, "r", (error, opened) => {
        if (error) return finish(error);
        if (done) return close(opened, () => undefined);
        fd = opened;
        pump();
      });
    });
}
