import {
  abortedError,
  ErrorCodes,
  type LineConsole,
  type SignalOptions,
  type TimeoutOptions,
  throwIfAborted,
} from "@factory/core";
import type { SerialLink } from "@factory/serial";
import { avrError, PKG } from "../errors";

const MAX_BACKLOG = 200;

/** The sketch's serial console, as lines, on the session's link. */
export class AvrLineConsole implements LineConsole {
  private lines: string[] = [];
  private partial = "";
  private waiter: (() => void) | undefined;
  private closed = false;
  private lost: Error | undefined;
  private readonly unsubscribe: () => void;
  private readonly offLost: () => void;

  constructor(
    private readonly link: SerialLink,
    private readonly lineEnding: string,
  ) {
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
    this.partial += Buffer.from(chunk).toString("latin1");
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
    if (this.lost) throw this.lost;
    if (this.closed) throw avrError(ErrorCodes.INVALID_ARGUMENT, "The console is closed");
    await this.link.write(Buffer.from(line + this.lineEnding, "latin1"), options);
  }

  async expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const end = performance.now() + timeoutMs;
    const matches = (l: string): boolean =>
      typeof pattern === "string" ? l.includes(pattern) : pattern.test(l);
    for (;;) {
      while (this.lines.length > 0) {
        const line = this.lines.shift()!;
        if (matches(line)) return line;
      }
      if (this.lost) throw this.lost;
      if (this.closed) throw avrError(ErrorCodes.INVALID_ARGUMENT, "The console is closed");
      if (options.signal?.aborted) throw abortedError(options.signal, PKG);
      const left = end - performance.now();
      if (left <= 0) {
        throw avrError(
          ErrorCodes.CONSOLE_TIMEOUT,
          `No console line matching ${String(pattern)} on ${this.link.path} within ${timeoutMs} ms`,
          { details: { port: this.link.path, pattern: String(pattern), timeoutMs } },
        );
      }
      await new Promise<void>((resolve) => {
        const signal = options.signal;
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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.offLost();
    this.wake();
  }
}
