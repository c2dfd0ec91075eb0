import type { Duplex } from "node:stream";
import { abortedError, type FactoryError, throwIfAborted } from "@factory/core";
import { LineErrorCodes, lineError, PKG } from "./errors";

/** Most unread lines kept; a board that floods the port cannot grow memory without bound. */
const MAX_PENDING = 256;
/** Longest line accepted, bytes; longer input is a protocol error, not a memory leak. */
const MAX_LINE = 4096;

/**
 * Lines over a byte stream (a SerialPort, a net.Socket, a simulator's end: anything Duplex).
 * One reader at a time; every wait is bounded by a timeout and cancelled by its signal.
 */
export class LineLink {
  private partial = "";
  private readonly pending: string[] = [];
  private wake: (() => void) | undefined;
  private failure: FactoryError | undefined;

  constructor(
    private readonly stream: Duplex,
    readonly path: string,
  ) {
    stream.on("data", (chunk: Buffer | string) => this.receive(chunk.toString("latin1")));
    stream.on("error", (error: Error) => this.fail(error));
    stream.on("close", () => this.fail());
  }

  /** Lines received and not read yet, oldest first. */
  get unread(): readonly string[] {
    return this.pending;
  }

  /** Discards unread input (stale replies, boot chatter) before a new command. */
  discard(): void {
    this.pending.length = 0;
  }

  async writeLine(line: string, signal?: AbortSignal, ending = "\n"): Promise<void> {
    throwIfAborted(signal, PKG);
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.write(`${line}${ending}`, "latin1", (error) => {
        if (error) reject(this.failure ?? this.gone(error));
        else resolve();
      });
    });
  }

  /** The next line; rejects `TIMEOUT` after `timeoutMs`, `ABORTED` on signal, `PORT_DISCONNECTED` on unplug. */
  readLine(timeoutMs: number, what: string, signal?: AbortSignal): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const take = (): boolean => {
        const line = this.pending.shift();
        if (line !== undefined) finish(() => resolve(line));
        else if (this.failure) finish(() => reject(this.failure));
        return line !== undefined || this.failure !== undefined;
      };
      const onAbort = (): void => finish(() => reject(abortedError(signal!, PKG)));
      const timer = setTimeout(() => {
        const message = `No answer to ${what} from ${this.path} within ${timeoutMs} ms`;
        finish(() => reject(lineError(LineErrorCodes.TIMEOUT, message, { details: { port: this.path } })));
      }, timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.wake = undefined;
        settle();
      };
      if (signal?.aborted) return onAbort();
      if (take()) return;
      signal?.addEventListener("abort", onAbort, { once: true });
      this.wake = () => void take();
    });
  }

  /** Closes the stream. Idempotent. */
  async close(): Promise<void> {
    this.failure ??= lineError(LineErrorCodes.INVALID_ARGUMENT, `The connection to ${this.path} is closed`);
    if (!this.stream.destroyed) this.stream.destroy();
  }

  private receive(text: string): void {
    this.partial += text;
    let index = this.partial.indexOf("\n");
    while (index >= 0) {
      const line = this.partial.slice(0, index).replace(/\r$/, "");
      this.partial = this.partial.slice(index + 1);
      this.pending.push(line);
      if (this.pending.length > MAX_PENDING) this.pending.shift();
      index = this.partial.indexOf("\n");
    }
    if (this.partial.length > MAX_LINE) {
      this.partial = "";
      this.fail(undefined, `${this.path} sent a line longer than ${MAX_LINE} bytes`);
    }
    this.wake?.();
  }

  private fail(cause?: Error, protocolMessage?: string): void {
    if (this.failure) return;
    this.failure = protocolMessage
      ? lineError(LineErrorCodes.PROTOCOL_ERROR, protocolMessage, { details: { port: this.path } })
      : this.gone(cause);
    this.wake?.();
  }

  private gone(cause?: Error): FactoryError {
    return lineError(LineErrorCodes.PORT_DISCONNECTED, `The device on ${this.path} disconnected`, {
      cause,
      details: { port: this.path },
    });
  }
}
