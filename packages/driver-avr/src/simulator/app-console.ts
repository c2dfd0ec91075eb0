/** What the app console needs from the chip it runs on. */
interface Chip {
  readonly flash: Uint8Array;
  readonly board: { chip: string };
  send(bytes: Uint8Array): void;
}

/**
 * The simulated sketch: a line console on the application UART, for the pipeline's console
 * tests. It runs only when the application flash is programmed (a blank chip has no sketch).
 * `info` → `OK <chip> <serial>`; `echo <text>` → `<text>`; anything else → `ERR unknown command`.
 */
export class AppConsole {
  private line = "";

  constructor(private readonly chip: Chip) {}

  reset(): void {
    this.line = "";
  }

  receive(bytes: Uint8Array): void {
    if (this.chip.flash[0] === 0xff && this.chip.flash[1] === 0xff) return;
    for (const b of bytes) {
      if (b === 0x0a || b === 0x0d) {
        const line = this.line.trim();
        this.line = "";
        if (line) this.answer(line);
      } else if (this.line.length < 256) {
        this.line += String.fromCharCode(b);
      }
    }
  }

  private answer(line: string): void {
    let out: string;
    if (line === "info") out = `OK ${this.chip.board.chip}`;
    else if (line.startsWith("echo ")) out = line.slice(5);
    else out = "ERR unknown command";
    this.chip.send(new TextEncoder().encode(`${out}\r\n`));
  }
}
