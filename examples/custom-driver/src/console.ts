import { isFactoryError, type LineConsole, type SignalOptions, type TimeoutOptions } from "@factory/core";
import { LineErrorCodes, lineError } from "./errors";
import type { LineLink } from "./transport";

const BACKLOG = 50;

/**
 * The application's console on the same link the bootloader used: after `BOOT`, lines go to the
 * firmware. Closing the console leaves the link to its session.
 */
export class LineBoardConsole implements LineConsole {
  /** Lines skipped by `expect` since its last match, most recent last. */
  private readonly skipped: string[] = [];
  private closed = false;

  constructor(
    private readonly link: LineLink,
    private readonly lineEnding: string,
  ) {}

  get backlog(): readonly string[] {
    return [...this.skipped, ...this.link.unread].slice(-BACKLOG);
  }

  async writeLine(line: string, options?: SignalOptions): Promise<void> {
    this.check();
    await this.link.writeLine(line, options?.signal, this.lineEnding);
  }

  async expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string> {
    this.check();
    const timeoutMs = options.timeoutMs ?? 5_000;
    const until = performance.now() + timeoutMs;
    const matches = (line: string): boolean =>
      typeof pattern === "string" ? line.includes(pattern) : pattern.test(line);
    while (true) {
      const left = Math.max(0, until - performance.now());
      let line: string;
      try {
        line = await this.link.readLine(left, "the console", options.signal);
      } catch (error) {
        if (!isFactoryError(error, LineErrorCodes.TIMEOUT)) throw error;
        throw lineError(
          LineErrorCodes.CONSOLE_TIMEOUT,
          `No console line matching ${String(pattern)} on ${this.link.path} within ${timeoutMs} ms`,
          { cause: error, details: { pattern: String(pattern), timeoutMs, port: this.link.path } },
        );
      }
      if (matches(line)) {
        this.skipped.length = 0;
        return line;
      }
      this.skipped.push(line);
      if (this.skipped.length > BACKLOG) this.skipped.shift();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed)
      throw lineError(LineErrorCodes.INVALID_ARGUMENT, `The console on ${this.link.path} is closed`);
  }
}
