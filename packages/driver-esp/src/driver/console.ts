import {
  abortedError,
  createError,
  ErrorCodes,
  type LineConsole,
  type SignalOptions,
  type TimeoutOptions,
  throwIfAborted,
} from "@factory/core";
import { PKG } from "../errors";
import type { SerialLink } from "../transport/serial-link";

const MAX_BACKLOG = 200;

/** A line console on the app's UART, reading and writing through the session's serial link. */
export class SerialLineConsole implements LineConsole {
  private lines: string[] = [];
  private partial = "";
  private waiter: (() => void) | undefined;
  private closed = false;
  private lostError: Error | undefined;

  constructor(
    private readonly link: SerialLink,
    private readonly lineEnding: string,
    private readonly onClose: () => void,
  ) {
    link.onData = (chunk) => this.push(chunk);
    link.onLost = (error) => {
      this.lostError = error;
      this.wake();
    };
  }

  get backlog(): readonly string[] {
    return this.lines;
  }

  private push(chunk: Uint8Array): void {
    this.partial += new TextDecoder("latin1").decode(chunk);
    const parts = this.partial.split(/\r?\n|\r/);
    this.partial = parts.pop() ?? "";
    for (const p of parts) {
      if (p.length === 0) continue;
      this.lines.push(p);
      if (this.lines.length > MAX_BACKLOG) this.lines.shift();
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async writeLine(line: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal, PKG);
    if (this.closed) throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "The console is closed");
    if (this.lostError) throw this.lostError;
    await this.link.write(new TextEncoder().encode(line + this.lineEnding));
  }

  async expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const end = performance.now() + timeoutMs;
    const matches = (l: string): boolean =>
      typeof pattern === "string" ? l.includes(pattern) : pattern.test(l);
    for (;;) {
      while (this.lines.length > 0) {
        const l = this.lines.shift()!;
        if (matches(l)) return l;
      }
      if (this.lostError) throw this.lostError;
      if (this.closed) throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "The console is closed");
      if (options.signal?.aborted) throw abortedError(options.signal, PKG);
      const left = end - performance.now();
      if (left <= 0) {
        throw createError(
          PKG,
          ErrorCodes.CONSOLE_TIMEOUT,
          `No console line matching ${String(pattern)} on ${this.link.path} within ${timeoutMs} ms`,
          { details: { port: this.link.path, pattern: String(pattern), timeoutMs } },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const signal = options.signal;
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    this.onClose();
  }
}
