import {
  abortedError,
  createError,
  ErrorCodes,
  type FactoryError,
  type Logger,
  noopLogger,
  type SignalOptions,
  type TimeoutOptions,
  throwIfAborted,
} from "@factory/core";
import type { SerialPortStream } from "@serialport/stream";
import type { BindingInterface, BindingPortInterface } from "./binding-types";
import { classifyOpenError, disconnectedError, isNoModemLinesError, PKG } from "./errors";
import { loadNativeBinding } from "./native";
import { fromBindingPort, fromStream, type RawPort } from "./raw-port";

/** Modem-control lines. `true` means asserted (the TTL pin is low). */
export interface ModemLines {
  dtr?: boolean;
  rts?: boolean;
  /** A break condition on TX. */
  brk?: boolean;
}

export interface SerialLinkOptions extends SignalOptions {
  baudRate: number;
  parity?: "none" | "even" | "odd";
  dataBits?: 5 | 6 | 7 | 8;
  stopBits?: 1 | 1.5 | 2;
  /** The binding to open `path` through: the simulator's, or the native one (default). */
  binding?: BindingInterface;
  /** Take an exclusive lock on the port (default true); a second opener gets `PORT_BUSY`. */
  lock?: boolean;
  logger?: Logger;
  /** Package prefix of error messages (`[driver-avr] …`); default `serial`. */
  pkg?: string;
  /** Bytes kept when nobody reads (oldest dropped beyond it). Default 1 MiB. */
  maxBuffered?: number;
}

/** Bytes moved by a link, both ways, since it was opened. */
export interface LinkStats {
  bytesWritten: number;
  bytesRead: number;
}

/**
 * An open serial port seen as a byte pipe with deadlines: the layer every UART board driver sits
 * on. Every wait is bounded and cancellable; failures are coded FactoryErrors: `TIMEOUT`,
 * `ABORTED`, `PORT_DISCONNECTED` (the device vanished; every pending and later call rejects).
 */
export interface SerialLink {
  readonly path: string;
  readonly baudRate: number;
  readonly stats: Readonly<LinkStats>;
  /** Bytes received and not read yet. */
  readonly available: number;
  readonly closed: boolean;
  /** The device vanished while the link was open. */
  readonly lost: boolean;
  /** Queues `data` for sending; resolves when the OS (or simulator) took it. */
  write(data: Uint8Array, options?: SignalOptions): Promise<void>;
  /** Resolves with exactly `length` bytes. Rejects `TIMEOUT` after `timeoutMs` (default 1000). */
  read(length: number, options?: TimeoutOptions): Promise<Uint8Array>;
  /**
   * Resolves with every byte up to and including the first occurrence of `pattern` (a byte or a
   * byte sequence). Rejects `TIMEOUT`, or `PROTOCOL_ERROR` when `maxBytes` arrive without it.
   */
  readUntil(
    pattern: number | Uint8Array,
    options?: TimeoutOptions & { maxBytes?: number },
  ): Promise<Uint8Array>;
  /** Takes whatever has been received so far (possibly nothing), without waiting. */
  readAvailable(): Uint8Array;
  /** Discards received bytes not read yet, after pending writes left. */
  flushInput(options?: SignalOptions): Promise<void>;
  /** Waits until every written byte has left the host. */
  drain(options?: TimeoutOptions): Promise<void>;
  /**
   * Sets modem lines. Resolves `true` when applied; `false` (with a logged warning, once) when
   * the port has no modem lines, as on a pseudo-terminal. Rejects `PORT_DISCONNECTED`.
   */
  setSignals(lines: ModemLines, options?: SignalOptions): Promise<boolean>;
  /** Changes the host baud rate after pending writes left. */
  setBaudRate(baudRate: number, options?: SignalOptions): Promise<void>;
  /**
   * Receives every chunk as it arrives, instead of buffering it, until the returned function is
   * called (for consoles and stream adapters). One subscriber at a time.
   */
  subscribe(listener: (chunk: Uint8Array) => void): () => void;
  /** Called once when the device vanishes. Returns an unsubscribe function. */
  onLost(listener: (error: FactoryError) => void): () => void;
  /** Releases the port. Idempotent, never rejects. Pending reads reject with `ABORTED`. */
  close(): Promise<void>;
}

/**
 * Opens a serial port as a {@link SerialLink}: a path through a binding (native by default, or the
 * simulator's), or a `SerialPort` stream the caller has already opened (the caller's settings stay).
 * Rejects `PORT_NOT_FOUND`, `PORT_BUSY`, `ABORTED`.
 *
 * @example
 * const link = await openSerialLink("/dev/ttyUSB0", { baudRate: 115200, signal });
 * await link.write(Uint8Array.of(0x30, 0x20));
 * const reply = await link.read(2, { timeoutMs: 500, signal });
 */
export async function openSerialLink(
  port: string | SerialPortStream | BindingPortInterface,
  options: SerialLinkOptions,
): Promise<SerialLink> {
  const pkg = options.pkg ?? PKG;
  throwIfAborted(options.signal, pkg);
  if (!Number.isFinite(options.baudRate) || options.baudRate <= 0) {
    throw createError(pkg, ErrorCodes.INVALID_ARGUMENT, `Invalid baud rate ${options.baudRate}`, {
      retryable: false,
    });
  }
  if (typeof port !== "string") {
    if (isBindingPort(port))
      return new Link(fromBindingPort(port), port.openOptions.path, options.baudRate, options, pkg);
    return new Link(fromStream(port), port.path, options.baudRate, options, pkg);
  }
  const binding = options.binding ?? (await loadNativeBinding());
  let opened: BindingPortInterface;
  try {
    opened = await binding.open({
      path: port,
      baudRate: options.baudRate,
      dataBits: options.dataBits ?? 8,
      parity: options.parity ?? "none",
      stopBits: options.stopBits ?? 1,
      lock: options.lock ?? true,
      hupcl: true,
    });
  } catch (error) {
    throw classifyOpenError(error, port, pkg);
  }
  if (options.signal?.aborted) {
    await opened.close().catch(() => {});
    throw abortedError(options.signal, pkg);
  }
  return new Link(fromBindingPort(opened), port, options.baudRate, options, pkg);
}

type Waiter = () => void;

class Link implements SerialLink {
  readonly stats: LinkStats = { bytesWritten: 0, bytesRead: 0 };
  closed = false;
  lost = false;
  private chunks: Uint8Array[] = [];
  private size = 0;
  private waiter: Waiter | undefined;
  private subscriber: ((chunk: Uint8Array) => void) | undefined;
  private readonly lostListeners = new Set<(error: FactoryError) => void>();
  private lostError: FactoryError | undefined;
  private writing: Promise<void> = Promise.resolve();
  private reading: Promise<unknown> = Promise.resolve();
  private warnedNoLines = false;
  private readonly logger: Logger;
  private readonly maxBuffered: number;

  constructor(
    private readonly raw: RawPort,
    readonly path: string,
    public baudRate: number,
    options: SerialLinkOptions,
    private readonly pkg: string,
  ) {
    this.logger = (options.logger ?? noopLogger).child({ port: path });
    this.maxBuffered = options.maxBuffered ?? 1024 * 1024;
    raw.start(
      (chunk) => this.receive(chunk),
      (error) => this.markLost(error),
    );
  }

  get available(): number {
    return this.size;
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.stats.bytesRead += chunk.length;
    if (this.subscriber) {
      this.subscriber(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.maxBuffered && this.chunks.length > 1) {
      const dropped = this.chunks.shift()!;
      this.size -= dropped.length;
      this.logger.warn("serial input overflow; dropped unread bytes", { dropped: dropped.length });
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private markLost(error: unknown): void {
    if (this.lost || this.closed) return;
    this.lost = true;
    this.lostError = disconnectedError(this.path, this.pkg, error);
    this.logger.warn("serial device disconnected", { error: String(error) });
    for (const listener of this.lostListeners) listener(this.lostError);
    this.wake();
    void this.raw.close().catch(() => {});
  }

  private check(signal?: AbortSignal): void {
    if (this.lostError) throw this.lostError;
    if (this.closed) throw createError(this.pkg, ErrorCodes.ABORTED, `The port ${this.path} was closed`);
    if (signal?.aborted) throw abortedError(signal, this.pkg);
  }

  write(data: Uint8Array, options: SignalOptions = {}): Promise<void> {
    try {
      this.check(options.signal);
    } catch (error) {
      return Promise.reject(error);
    }
    const copy = Uint8Array.from(data);
    const next = this.writing.then(async () => {
      this.check(options.signal);
      try {
        await this.raw.write(copy);
        this.stats.bytesWritten += copy.length;
      } catch (error) {
        if (this.closed) throw createError(this.pkg, ErrorCodes.ABORTED, `The port ${this.path} was closed`);
        this.markLost(error);
        throw this.lostError ?? disconnectedError(this.path, this.pkg, error);
      }
    });
    this.writing = next.catch(() => {});
    return next;
  }

  /** Runs read operations one after another so that two readers never split a reply. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.reading.then(fn, fn);
    this.reading = next.catch(() => {});
    return next;
  }

  /** Waits until `ready()` is true, bounded by timeout and signal. */
  private async waitFor(ready: () => boolean, what: string, options: TimeoutOptions): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 1000;
    const signal = options.signal;
    const end = performance.now() + timeoutMs;
    for (;;) {
      if (ready()) return;
      this.check(signal);
      const left = end - performance.now();
      if (left <= 0) {
        throw createError(
          this.pkg,
          ErrorCodes.TIMEOUT,
          `No answer on ${this.path}: ${what} within ${timeoutMs} ms`,
          {
            details: { port: this.path, timeoutMs, received: this.size },
          },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = (): void => done();
        signal?.addEventListener("abort", onAbort, { once: true });
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }
        this.waiter = done;
      });
    }
  }

  private take(length: number): Uint8Array {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const head = this.chunks[0]!;
      const n = Math.min(head.length, length - at);
      out.set(head.subarray(0, n), at);
      at += n;
      if (n === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    }
    this.size -= length;
    return out;
  }

  read(length: number, options: TimeoutOptions = {}): Promise<Uint8Array> {
    if (!Number.isInteger(length) || length < 0) {
      return Promise.reject(
        createError(this.pkg, ErrorCodes.INVALID_ARGUMENT, `Cannot read ${length} bytes`, {
          retryable: false,
        }),
      );
    }
    return this.serial(async () => {
      await this.waitFor(() => this.size >= length, `expected ${length} bytes`, options);
      return this.take(length);
    });
  }

  readUntil(
    pattern: number | Uint8Array,
    options: TimeoutOptions & { maxBytes?: number } = {},
  ): Promise<Uint8Array> {
    const needle = typeof pattern === "number" ? Uint8Array.of(pattern) : pattern;
    const maxBytes = options.maxBytes ?? 64 * 1024;
    return this.serial(async () => {
      let found = -1;
      const search = (): boolean => {
        found = indexOf(this.chunks, this.size, needle);
        if (found < 0 && this.size >= maxBytes) {
          throw createError(
            this.pkg,
            ErrorCodes.PROTOCOL_ERROR,
            `${maxBytes} bytes arrived on ${this.path} without the expected end marker`,
            { details: { port: this.path, maxBytes } },
          );
        }
        return found >= 0;
      };
      await this.waitFor(search, `expected end marker ${hexBytes(needle)}`, options);
      return this.take(found + needle.length);
    });
  }

  readAvailable(): Uint8Array {
    return this.take(this.size);
  }

  async flushInput(options: SignalOptions = {}): Promise<void> {
    this.check(options.signal);
    await this.writing;
    // tcflush discards unsent output too: let written bytes leave first.
    await this.raw.drain().catch(() => {});
    try {
      await this.raw.flush();
    } catch (error) {
      this.logger.debug("flush failed", { error: String(error) });
    }
    this.chunks = [];
    this.size = 0;
  }

  async drain(options: TimeoutOptions = {}): Promise<void> {
    this.check(options.signal);
    await this.writing;
    this.check(options.signal);
    await this.raw.drain().catch((error: unknown) => {
      if (!this.closed) this.markLost(error);
    });
    this.check(options.signal);
  }

  async setSignals(lines: ModemLines, options: SignalOptions = {}): Promise<boolean> {
    this.check(options.signal);
    try {
      await this.raw.set({ dtr: lines.dtr, rts: lines.rts, brk: lines.brk });
      return true;
    } catch (error) {
      this.check(options.signal);
      if (isNoModemLinesError(error)) {
        if (!this.warnedNoLines) {
          this.warnedNoLines = true;
          this.logger.warn("port has no modem lines (a pseudo-terminal?); DTR/RTS/BREAK not applied", {
            error: String(error),
          });
        }
        return false;
      }
      this.markLost(error);
      throw this.lostError ?? disconnectedError(this.path, this.pkg, error);
    }
  }

  async setBaudRate(baudRate: number, options: SignalOptions = {}): Promise<void> {
    if (!Number.isFinite(baudRate) || baudRate <= 0) {
      throw createError(this.pkg, ErrorCodes.INVALID_ARGUMENT, `Invalid baud rate ${baudRate}`, {
        retryable: false,
      });
    }
    this.check(options.signal);
    await this.writing;
    await this.raw.drain().catch(() => {});
    this.check(options.signal);
    await this.raw.update(baudRate);
    this.baudRate = baudRate;
  }

  subscribe(listener: (chunk: Uint8Array) => void): () => void {
    this.subscriber = listener;
    if (this.size > 0) listener(this.readAvailable());
    return () => {
      if (this.subscriber === listener) this.subscriber = undefined;
    };
  }

  onLost(listener: (error: FactoryError) => void): () => void {
    if (this.lostError) listener(this.lostError);
    else this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.lostListeners.clear();
    this.subscriber = undefined;
    await this.raw.close().catch(() => {});
  }
}

function isBindingPort(port: SerialPortStream | BindingPortInterface): port is BindingPortInterface {
  return (
    "openOptions" in port && typeof (port as BindingPortInterface).read === "function" && !("pipe" in port)
  );
}

/** Position of `needle` in the concatenated chunks, or -1. */
function indexOf(chunks: readonly Uint8Array[], size: number, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  if (size < needle.length) return -1;
  const flat = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks as Uint8Array[], size);
  return Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength).indexOf(needle);
}

function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}
