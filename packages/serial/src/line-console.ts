import {
  abortedError,
  createError,
  ErrorCodes,
  type LineConsole,
  type SignalOptions,
  type TimeoutOptions,
  throwIfAborted,
} from "@factory/core";
import type { SerialLink } from "./link";

export interface LineConsoleOptions {
  /** Appended to every line written. Default `\r\n`. */
  lineEnding?: string;
  /** How bytes become text. Default `utf8`; `latin1` for consoles that print raw bytes. */
  encoding?: "utf8" | "latin1";
  /** Lines kept for `backlog` and `expect`. Default 500. */
  backlogLimit?: number;
  /** Package name for error messages (`driver-avr`). */
  pkg?: string;
  /** Close the link when the console closes (a console that owns its own link). */
  closeLink?: boolean;
}

/**
 * The application's console as lines on a {@link SerialLink}: what board drivers hand the
 * pipeline's console tests. Lines end at CR, LF or CRLF; empty lines are dropped. `expect`
 * rejects `CONSOLE_TIMEOUT` after its time bound, `ABORTED` on its signal, and the link's own
 * `PORT_DISCONNECTED` when the device vanishes.
 */
export function createLineConsole(link: SerialLink, options: LineConsoleOptions = {}): LineConsole {
  return new SerialLineConsole(link, options);
}

class SerialLineConsole implements LineConsole {
  private readonly lines: string[] = [];
  private partial = "";
  private waiter: (() => void) | undefined;
  private closed = false;
  private lost: Error | undefined;
  private readonly unsubscribe: () => void;
  private readonly offLost: () => void;
  private readonly pkg: string;
  private readonly limit: number;

  constructor(
    private readonly link: SerialLink,
    private readonly options: LineConsoleOptions,
  ) {
    this.pkg = options.pkg ?? "serial";
    this.limit = options.backlogLimit ?? 500;
    this.unsubscribe = link.subscribe((chunk) => this.push(chunk));
    this.offLost = link.onLost((error) => {
      this.lost = error;
      this.wake();
    });
  }

  get backlog(): readonly string[] {
    return this.lines;
  }

  private push(chunk: Uint8Array): void {
    this.partial += Buffer.from(chunk).toString(this.options.encoding ?? "utf8");
    const parts = this.partial.split(/\r\n|\n|\r/);
    this.partial = parts.pop() ?? "";
    for (const line of parts) if (line.length > 0) this.lines.push(line);
    if (this.lines.length > this.limit) this.lines.splice(0, this.lines.length - this.limit);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  private usable(): void {
    if (this.lost) throw this.lost;
    if (this.closed) throw createError(this.pkg, ErrorCodes.INVALID_ARGUMENT, "The console is closed");
  }

  async writeLine(line: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal, this.pkg);
    this.usable();
    const text = `${line}${this.options.lineEnding ?? "\r\n"}`;
    await this.link.write(Buffer.from(text, this.options.encoding ?? "utf8"), options);
  }

  async expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const end = performance.now() + timeoutMs;
    const matches = (line: string): boolean =>
      typeof pattern === "string" ? line.includes(pattern) : pattern.test(line);
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift()!;
        if (matches(line)) return line;
      }
      this.usable();
      if (options.signal?.aborted) throw abortedError(options.signal, this.pkg);
      const left = end - performance.now();
      if (left <= 0) {
        throw createError(
          this.pkg,
          ErrorCodes.CONSOLE_TIMEOUT,
          `No console line matching ${String(pattern)} on ${this.link.path} within ${timeoutMs} ms`,
          { details: { port: this.link.path, pattern: String(pattern), timeoutMs } },
        );
      }
      await new Promise<void>((resolve) => {
        const signal = options.signal;
        const timer = setTimeout(done, left);
        signal?.addEventListener("abort", done, { once: true });
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        this.waiter = done;
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.offLost();
    this.wake();
    if (this.options.closeLink) await this.link.close();
  }
}
