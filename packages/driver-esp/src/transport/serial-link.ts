import {
  createError,
  ErrorCodes,
  type Logger,
  noopLogger,
  type PortRef,
  throwIfAborted,
} from "@factory/core";
import { PKG } from "../errors";
import type { BindingInterface, BindingPortInterface } from "./binding-types";

/**
 * One open serial port, seen as a byte pipe with modem lines: the layer the ESP protocol client
 * and the Web Serial adapter sit on. Wraps any `@serialport/bindings-interface` binding (the
 * native one from `serialport`, or the simulator's).
 */
export interface SerialLink {
  readonly path: string;
  readonly baudRate: number;
  /** Receives every chunk read from the port, until replaced. */
  onData: ((chunk: Uint8Array) => void) | undefined;
  /** Called once if the port vanishes or fails while open (not on {@link close}). */
  onLost: ((error: Error) => void) | undefined;
  write(data: Uint8Array): Promise<void>;
  /** Sets DTR and RTS (true = asserted). Fails on a pty; the error is coded `NOT_SUPPORTED`. */
  setSignals(lines: { dtr: boolean; rts: boolean }): Promise<void>;
  setBaudRate(baud: number): Promise<void>;
  /** Discards unread input. */
  flushInput(): Promise<void>;
  /** Waits until written bytes have left the host. */
  drain(): Promise<void>;
  readonly closed: boolean;
  /** The port vanished while open. */
  readonly lost: boolean;
  close(): Promise<void>;
}

let nativeBinding: Promise<BindingInterface> | undefined;

/** The platform's native serial binding from the `serialport` package, loaded on first use. */
export function loadNativeBinding(): Promise<BindingInterface> {
  nativeBinding ??= import("serialport").then((m) => m.SerialPort.binding as unknown as BindingInterface);
  return nativeBinding;
}

/**
 * Opens `port` at `baudRate` through `binding`. Rejects `PORT_NOT_FOUND` when the path does not
 * exist, `PORT_BUSY` when another process holds it, `ABORTED` on signal.
 */
export async function openSerialLink(
  binding: BindingInterface,
  port: PortRef,
  baudRate: number,
  options: { signal?: AbortSignal | undefined; logger?: Logger } = {},
): Promise<SerialLink> {
  throwIfAborted(options.signal, PKG);
  const logger = options.logger ?? noopLogger;
  let raw: BindingPortInterface;
  try {
    raw = await binding.open({ path: port.path, baudRate, lock: true, hupcl: true });
  } catch (error) {
    throw classifyOpenError(error, port.path);
  }
  if (options.signal?.aborted) {
    await raw.close().catch(() => {});
    throwIfAborted(options.signal, PKG);
  }
  return new BindingLink(raw, port.path, baudRate, logger);
}

function classifyOpenError(error: unknown, path: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  if (code === "ENOENT" || /no such file|not found|cannot find/i.test(message)) {
    return createError(
      PKG,
      ErrorCodes.PORT_NOT_FOUND,
      `Serial port ${path} does not exist (is the board plugged in?)`,
      {
        cause: error,
        details: { port: path },
      },
    );
  }
  if (code === "EBUSY" || /busy|lock|temporarily unavailable|access denied/i.test(message)) {
    return createError(
      PKG,
      ErrorCodes.PORT_BUSY,
      `Serial port ${path} is in use by another program or session`,
      {
        cause: error,
        details: { port: path },
      },
    );
  }
  if (/permission/i.test(message)) {
    return createError(
      PKG,
      ErrorCodes.PORT_BUSY,
      `No permission to open ${path}; add the user to the dialout group (see the driver README for udev rules)`,
      { cause: error, details: { port: path }, retryable: false },
    );
  }
  return createError(PKG, ErrorCodes.PORT_NOT_FOUND, `Cannot open serial port ${path}: ${message}`, {
    cause: error,
    details: { port: path },
  });
}

class BindingLink implements SerialLink {
  onData: ((chunk: Uint8Array) => void) | undefined;
  onLost: ((error: Error) => void) | undefined;
  closed = false;
  lost = false;
  private writing: Promise<void> = Promise.resolve();
  private readonly buffer = Buffer.alloc(65536);

  constructor(
    private readonly raw: BindingPortInterface,
    readonly path: string,
    public baudRate: number,
    private readonly logger: Logger,
  ) {
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      try {
        const { bytesRead } = await this.raw.read(this.buffer, 0, this.buffer.length);
        if (bytesRead > 0) this.onData?.(new Uint8Array(this.buffer.subarray(0, bytesRead)));
      } catch (error) {
        if (this.closed || (error as { canceled?: boolean }).canceled) return;
        this.markLost(error);
        return;
      }
    }
  }

  private markLost(error: unknown): void {
    if (this.lost) return;
    this.lost = true;
    this.logger.warn("serial port lost", { port: this.path, error: String(error) });
    const e = createError(PKG, ErrorCodes.PORT_DISCONNECTED, `The device on ${this.path} disconnected`, {
      cause: error,
      details: { port: this.path },
    });
    this.onLost?.(e);
    void this.raw.close().catch(() => {});
  }

  private lostError(cause?: unknown): Error {
    return createError(PKG, ErrorCodes.PORT_DISCONNECTED, `The device on ${this.path} disconnected`, {
      cause,
      details: { port: this.path },
    });
  }

  write(data: Uint8Array): Promise<void> {
    if (this.closed || this.lost) return Promise.reject(this.lostError());
    const next = this.writing.then(async () => {
      if (this.closed || this.lost) throw this.lostError();
      try {
        await this.raw.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      } catch (error) {
        this.markLost(error);
        throw this.lostError(error);
      }
    });
    this.writing = next.catch(() => {});
    return next;
  }

  async setSignals(lines: { dtr: boolean; rts: boolean }): Promise<void> {
    if (this.closed || this.lost) throw this.lostError();
    try {
      await this.raw.set({ dtr: lines.dtr, rts: lines.rts });
    } catch (error) {
      throw createError(
        PKG,
        ErrorCodes.NOT_SUPPORTED,
        `Cannot set DTR/RTS on ${this.path} (a pseudo-terminal has no modem lines); use reset "none"`,
        { cause: error, details: { port: this.path } },
      );
    }
  }

  async setBaudRate(baud: number): Promise<void> {
    if (this.closed || this.lost) throw this.lostError();
    await this.writing;
    await this.raw.update({ baudRate: baud });
    this.baudRate = baud;
  }

  async flushInput(): Promise<void> {
    if (this.closed || this.lost) return;
    await this.raw.flush().catch(() => {});
  }

  async drain(): Promise<void> {
    await this.writing;
    if (this.closed || this.lost) return;
    await this.raw.drain().catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lost) return;
    await this.raw.close().catch(() => {});
  }
}
