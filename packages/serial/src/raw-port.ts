import type { SerialPortStream } from "@serialport/stream";
import type { BindingPortInterface, SetOptions } from "./binding-types";

/**
 * The few operations a {@link SerialLink} needs from an open port, so that it can sit on a
 * binding port (native or simulated) or on a `SerialPort` stream the caller already opened.
 */
export interface RawPort {
  /** Starts delivering received chunks; `onError` once when reading fails (not after close). */
  start(onData: (chunk: Uint8Array) => void, onError: (error: unknown) => void): void;
  write(data: Uint8Array): Promise<void>;
  drain(): Promise<void>;
  flush(): Promise<void>;
  set(options: SetOptions): Promise<void>;
  update(baudRate: number): Promise<void>;
  close(): Promise<void>;
}

interface CanceledError {
  canceled?: boolean;
}

/** Reads a `@serialport/bindings-interface` port in a loop. */
export function fromBindingPort(port: BindingPortInterface): RawPort {
  let closed = false;
  const buffer = Buffer.alloc(65536);
  return {
    start(onData, onError) {
      void (async () => {
        while (!closed) {
          try {
            const { bytesRead } = await port.read(buffer, 0, buffer.length);
            if (bytesRead > 0) onData(Uint8Array.prototype.slice.call(buffer, 0, bytesRead));
          } catch (error) {
            if (closed || (error as CanceledError).canceled) return;
            onError(error);
            return;
          }
        }
      })();
    },
    write: (data) => port.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    drain: () => port.drain(),
    flush: () => port.flush(),
    set: (options) => port.set(options),
    update: (baudRate) => port.update({ baudRate }),
    async close() {
      if (closed) return;
      closed = true;
      if (port.isOpen) await port.close();
    },
  };
}

/** Listens to an open `SerialPort` / `SerialPortStream` (the caller keeps ownership of its options). */
export function fromStream(stream: SerialPortStream): RawPort {
  const call = (fn: (cb: (error?: Error | null) => void) => void): Promise<void> =>
    new Promise((resolve, reject) => fn((error) => (error ? reject(error) : resolve())));
  let closing = false;
  return {
    start(onData, onError) {
      stream.on("data", (chunk: Buffer) => onData(Uint8Array.from(chunk)));
      stream.on("error", (error) => {
        if (!closing) onError(error);
      });
      stream.on("close", (error?: unknown) => {
        if (!closing) onError(error ?? new Error("port closed"));
      });
    },
    write: (data) => call((cb) => stream.write(Buffer.from(data), (e) => cb(e ?? null))),
    drain: () => call((cb) => stream.drain(cb)),
    flush: () => call((cb) => stream.flush(cb)),
    set: (options) => call((cb) => stream.set(options, cb)),
    update: (baudRate) => call((cb) => stream.update({ baudRate }, cb)),
    async close() {
      if (closing) return;
      closing = true;
      if (stream.isOpen) await call((cb) => stream.close(cb));
    },
  };
}
