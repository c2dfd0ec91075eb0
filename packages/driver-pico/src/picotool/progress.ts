/** One update of a picotool progress bar. */
export interface PicotoolProgress {
  /** `load` for `Loading into …`, `verify` for `Verifying …`, `save` for `Saving file:`. */
  phase: "load" | "verify" | "save" | "erase";
  /** `Flash`, `RAM`… as printed. */
  memory: string;
  percent: number;
}

const BAR = /(Loading into|Verifying|Erasing|Saving) ?([A-Za-z ]*?):\s*\[[= ]*\]\s+(\d{1,3})%/g;

/**
 * Follows picotool's progress bars in its output stream. picotool redraws a bar with `\r` after
 * each percent (`Loading into Flash: [=====     ]  17%\r`) and ends it with `\n`; chunks may split
 * a bar anywhere, so the parser keeps the unfinished tail.
 */
export class ProgressParser {
  private tail = "";

  constructor(private readonly onProgress: (progress: PicotoolProgress) => void) {}

  push(chunk: string): void {
    const text = this.tail + chunk;
    const cut = Math.max(text.lastIndexOf("\r"), text.lastIndexOf("\n"));
    if (cut < 0) {
      this.tail = text.slice(-200);
      return;
    }
    this.tail = text.slice(cut + 1);
    for (const m of text.slice(0, cut + 1).matchAll(BAR)) {
      const verb = m[1]!;
      const phase =
        verb === "Verifying" ? "verify" : verb === "Saving" ? "save" : verb === "Erasing" ? "erase" : "load";
      this.onProgress({ phase, memory: m[2]!.trim(), percent: Math.min(100, Number(m[3])) });
    }
  }
}
