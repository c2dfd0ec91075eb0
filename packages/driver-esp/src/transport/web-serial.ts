import { createError, ErrorCodes, type Logger, noopLogger, type PortRef } from "@factory/core";
import { PKG } from "../errors";
import type { BindingInterface } from "./binding-types";
import { openEspLink, type SerialLink } from "./serial-link";

/** The part of the Web Serial `SerialPort` that esptool-js's `Transport` uses. */
export interface WebSerialPortLike {
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: { baudRate: number }): Promise<void>;
  close(): Promise<void>;
  setSignals(signals: {
    dataTerminalReady?: boolean;
    requestToSend?: boolean;
    break?: boolean;
  }): Promise<void>;
  getInfo(): { usbVendorId?: number; usbProductId?: number };
  /** Changes the baud in place (esptool-js then does not close and reopen the port). */
  setBaudRate(baudRate: number): Promise<void>;
}

export interface WebSerialOptions {
  logger?: Logger;
  /**
   * Ignore that a port has no DTR/RTS (a pseudo-terminal). Default false: `setSignals` rejects
   * `NOT_SUPPORTED` and esptool-js sees the error.
   */
  ignoreSignalErrors?: boolean;
}

/**
 * Gives esptool-js the Web Serial port it expects, on top of a Node serial binding, so
 * `new Transport(createWebSerialPort(binding, port) as unknown as SerialPort)` works in Node.
 *
 * @example
 * const device = createWebSerialPort(SerialPort.binding, { path: "/dev/ttyUSB0" });
 * const loader = new ESPLoader({ transport: new Transport(device as never), baudrate: 921600 });
 */
export function createWebSerialPort(
  binding: BindingInterface,
  port: PortRef,
  options: WebSerialOptions = {},
): WebSerialPortLike {
  return new WebSerialAdapter(binding, port, options);
}

class WebSerialAdapter implements WebSerialPortLike {
  private link: SerialLink | undefined;
  private readable_: ReadableStream<Uint8Array> | null = null;
  private writable_: WritableStream<Uint8Array> | null = null;
  private lines = { dtr: false, rts: false };

  constructor(
    private readonly binding: BindingInterface,
    private readonly port: PortRef,
    private readonly options: WebSerialOptions,
  ) {}

  get readable(): ReadableStream<Uint8Array> | null {
    return this.readable_;
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (!this.link) return null;
    if (!this.writable_) {
      const link = this.link;
      this.writable_ = new WritableStream<Uint8Array>({
        write: (chunk) => link.write(chunk),
        close: () => {
          // esptool-js closes the writer to flush; the next access gets a fresh stream.
          this.writable_ = null;
        },
      });
    }
    return this.writable_;
  }

  async open(options: { baudRate: number }): Promise<void> {
    if (this.link) throw new DOMException("The port is already open.", "InvalidStateError");
    const link = await openEspLink(this.binding, this.port, options.baudRate, {
      logger: this.options.logger ?? noopLogger,
    });
    this.link = link;
    let unsubscribe: (() => void) | undefined;
    let offLost: (() => void) | undefined;
    this.readable_ = new ReadableStream<Uint8Array>({
      start: (controller) => {
        unsubscribe = link.subscribe((chunk) => controller.enqueue(chunk));
        offLost = link.onLost((error) => {
          controller.error(error);
          this.readable_ = null;
        });
      },
      cancel: () => {
        unsubscribe?.();
        offLost?.();
      },
    });
  }

  async setSignals(signals: {
    dataTerminalReady?: boolean;
    requestToSend?: boolean;
    break?: boolean;
  }): Promise<void> {
    if (!this.link) throw new DOMException("The port is not open.", "InvalidStateError");
    if (signals.dataTerminalReady !== undefined) this.lines.dtr = signals.dataTerminalReady;
    if (signals.requestToSend !== undefined) this.lines.rts = signals.requestToSend;
    const applied = await this.link.setSignals(this.lines);
    if (!applied && !this.options.ignoreSignalErrors) {
      throw createError(
        PKG,
        ErrorCodes.NOT_SUPPORTED,
        `Cannot set DTR/RTS on ${this.port.path} (a pseudo-terminal has no modem lines)`,
        { details: { port: this.port.path }, retryable: false },
      );
    }
  }

  async setBaudRate(baudRate: number): Promise<void> {
    if (!this.link) throw new DOMException("The port is not open.", "InvalidStateError");
    await this.link.setBaudRate(baudRate);
  }

  getInfo(): { usbVendorId?: number; usbProductId?: number } {
    const info: { usbVendorId?: number; usbProductId?: number } = {};
    if (this.port.vendorId !== undefined) info.usbVendorId = this.port.vendorId;
    if (this.port.productId !== undefined) info.usbProductId = this.port.productId;
    return info;
  }

  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    const readable = this.readable_;
    this.readable_ = null;
    this.writable_ = null;
    if (readable && !readable.locked) await readable.cancel().catch(() => {});
    await link?.close();
  }
}
