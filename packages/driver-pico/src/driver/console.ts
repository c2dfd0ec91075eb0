import {
  abortedError,
  ErrorCodes,
  type LineConsole,
  type SignalOptions,
  type TimeoutOptions,
  throwIfAborted,
} from "@factory/core";
import type { SerialLink } from "@factory/serial";
import { PKG, picoError } from "../errors";

const BACKLOG_LIMIT = 500;

/** The application's USB CDC console as lines. Closing it closes the link. */
export class PicoConsole implements LineConsole {
  private readonly lines: string[] = [];
  private pending = "";
  private notify: (() => void) | undefined;
  private failure: Error | undefined;
  private closed = false;
  private readonly stop: () => void;
  private readonly stopLost: () => void;

  constructor(
    private readonly link: SerialLink,
    private readonly lineEnding = "\r\n",
  ) {
    this.stop = link.subscribe((chunk) => this.receive(chunk));
    this.stopLost = link.onLost((error) => {
      this.failure = error;
      this.wake();
    });
  }

  get backlog(): readonly string[] {
    return this.lines;
  }

  private receive(chunk: Uint8Array): void {
    const parts = (this.pending + Buffer.from(chunk).toString("utf8")).split(/\r\n|\n|\r/);
    this.pending = parts.pop() ?? "";
    for (const line of parts) if (line.length > 0) this.lines.push(line);
    if (this.lines.length > BACKLOG_LIMIT) this.lines.splice(0, this.lines.length - BACKLOG_LIMIT);
    this.wake();
  }

  private wake(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  private usable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw picoError(ErrorCodes.INVALID_ARGUMENT, "The console is closed");
  }

  async writeLine(line: string, options: SignalOptions = {}): Promise<void> {
    throwIfAborted(options.signal, PKG);
    this.usable();
    await this.link.write(Buffer.from(`${line}${this.lineEnding}`, "utf8"), options);
  }

  async expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const deadline = performance.now() + timeoutMs;
    const hit = (line: string) => (typeof pattern === "string" ? line.includes(pattern) : pattern.test(line));
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift()!;
        if (hit(line)) return line;
      }
      this.usable();
      if (options.signal?.aborted) throw abortedError(options.signal, PKG);
      const left = deadline - performance.now();
      if (left <= 0) {
        throw picoError(
          ErrorCodes.CONSOLE_TIMEOUT,
          `No line matching ${String(pattern)} on ${this.link.path} within ${timeoutMs} ms`,
          {
            details: { port: this.link.path, pattern: String(pattern), timeoutMs },
          },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(finish, left);
        const signal = options.signal;
        signal?.addEventListener("abort", finish, { once: true });
        function finish(): void {
          clearTimeout(timer);
          signal?.removeEventListener("abort", finish);
          resolve();
        }
        this.notify = finish;
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop();
    this.stopLost();
    this.wake();
    await this.link.close();
  }
}
