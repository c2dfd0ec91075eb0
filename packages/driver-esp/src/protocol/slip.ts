/** SLIP framing as used by the ESP serial bootloader: frames between 0xC0, with DB DC / DB DD escapes. */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Encodes one frame: a leading and a trailing 0xC0 with the payload escaped. */
export function slipEncode(payload: Uint8Array): Uint8Array {
  const n = payload.length;
  let extra = 0;
  for (let i = 0; i < n; i++) {
    const b = payload[i] as number;
    if (b === SLIP_END || b === SLIP_ESC) extra++;
  }
  const out = new Uint8Array(n + extra + 2);
  out[0] = SLIP_END;
  if (extra === 0) {
    out.set(payload, 1);
  } else {
    let j = 1;
    for (let i = 0; i < n; i++) {
      const b = payload[i] as number;
      if (b === SLIP_END) {
        out[j++] = SLIP_ESC;
        out[j++] = SLIP_ESC_END;
      } else if (b === SLIP_ESC) {
        out[j++] = SLIP_ESC;
        out[j++] = SLIP_ESC_ESC;
      } else out[j++] = b;
    }
  }
  out[out.length - 1] = SLIP_END;
  return out;
}

/** What the decoder reports besides whole frames. */
export interface SlipDecoderEvents {
  frame(payload: Uint8Array): void;
  /** Bytes seen outside a frame (boot log text, line noise). */
  noise?(bytes: Uint8Array): void;
  /** A DB followed by something other than DC/DD; the frame is dropped. */
  badEscape?(): void;
}

/**
 * An incremental SLIP decoder. Frames are delivered whole; empty frames (two C0 in a row, which
 * is how a frame boundary resynchronises) are ignored. Frames larger than `maxFrame` are dropped.
 */
export class SlipDecoder {
  private buf: Uint8Array;
  private len = 0;
  private inFrame = false;
  private escaped = false;
  private dropping = false;

  constructor(
    private readonly events: SlipDecoderEvents,
    private readonly maxFrame = 0x4000 + 0x400,
  ) {
    this.buf = new Uint8Array(maxFrame);
  }

  /** Forgets a partial frame (after a reset or a baud change). */
  reset(): void {
    this.len = 0;
    this.inFrame = false;
    this.escaped = false;
    this.dropping = false;
  }

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    let nextEnd = -1;
    let nextEsc = -1;
    while (i < n) {
      if (!this.inFrame) {
        const start = chunk.indexOf(SLIP_END, i);
        const stop = start === -1 ? n : start;
        if (stop > i) this.events.noise?.(chunk.subarray(i, stop));
        if (start === -1) return;
        this.inFrame = true;
        this.len = 0;
        this.escaped = false;
        this.dropping = false;
        i = start + 1;
        continue;
      }
      if (!this.escaped && !this.dropping) {
        // Copy the run of plain bytes up to the next END or ESC in one go (native searches).
        if (nextEnd < i) nextEnd = indexOrEnd(chunk, SLIP_END, i);
        if (nextEsc < i) nextEsc = indexOrEnd(chunk, SLIP_ESC, i);
        const j = Math.min(nextEnd, nextEsc);
        if (j > i) {
          if (this.len + (j - i) > this.maxFrame) {
            this.dropping = true;
          } else {
            this.buf.set(chunk.subarray(i, j), this.len);
            this.len += j - i;
          }
          i = j;
          continue;
        }
      }
      const b = chunk[i++] as number;
      if (b === SLIP_END) {
        // An empty frame (C0 C0) means the C0 was an opener after all: stay in frame, which also
        // resynchronises a reader that started in the middle of a frame.
        if (this.len > 0 || this.dropping) {
          if (!this.dropping) this.events.frame(this.buf.slice(0, this.len));
          this.inFrame = false;
        }
        this.len = 0;
        this.escaped = false;
        this.dropping = false;
        continue;
      }
      if (this.dropping) continue;
      let v = b;
      if (this.escaped) {
        this.escaped = false;
        if (b === SLIP_ESC_END) v = SLIP_END;
        else if (b === SLIP_ESC_ESC) v = SLIP_ESC;
        else {
          this.dropping = true;
          this.events.badEscape?.();
          continue;
        }
      } else if (b === SLIP_ESC) {
        this.escaped = true;
        continue;
      }
      if (this.len >= this.maxFrame) {
        this.dropping = true;
        continue;
      }
      this.buf[this.len++] = v;
    }
  }
}

function indexOrEnd(chunk: Uint8Array, byte: number, from: number): number {
  const at = chunk.indexOf(byte, from);
  return at === -1 ? chunk.length : at;
}
