import { type CliIO, type PipelineEvent, PortBoard } from "@factory/core";
import { formatPortLine } from "./port-line";

/**
 * Shows every port while the line runs. On a TTY: one line per port, redrawn in place a few times
 * a second. Otherwise: one plain line per milestone (identified, step, test, failure, result).
 */
export class LiveView {
  readonly board = new PortBoard();
  private readonly tty: boolean;
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: CliIO,
    options: { tty?: boolean; refreshMs?: number } = {},
  ) {
    this.tty = options.tty ?? io.stdout.isTTY === true;
    if (this.tty) {
      this.timer = setInterval(() => this.draw(), options.refreshMs ?? 250);
      this.timer.unref();
    }
  }

  addPort(station: string, port: { path: string; label?: string }): void {
    this.board.add(station, port);
  }

  event(station: string, event: PipelineEvent): void {
    const line = this.board.apply(station, event);
    if (!this.tty && line !== undefined) this.io.stdout.write(`${event.at.toISOString()} ${line}\n`);
  }

  /** Stops redrawing and leaves the final state of every port on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.draw();
  }

  private draw(): void {
    const width = this.io.stdout.columns ?? 120;
    const lines = this.board.all().map((v) => formatPortLine(v, width));
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : "";
    this.io.stdout.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join("")}`);
    this.drawn = lines.length;
  }
}
