/** SLIP framing as used by the ESP serial bootloader: frames between 0xC0, with DB DC / DB DD escapes. */

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** Encodes one frame: a leading and a trailing 0xC0 with the payload escaped. */
export function slipEncode(payload: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of payload) if (b === SLIP_END || b === SLIP_ESC) extra++;
  const out = new Uint8Array(payload.length + extra + 2);
  let j = 0;
  out[j++] = SLIP_END;
  for (const b of payload) {
    if (b === SLIP_END) {
      out[j++] = SLIP_ESC;
      out[j++] = SLIP_ESC_END;
    } else if (b === SLIP_ESC) {
      out[j++] = SLIP_ESC;
      out[j++] = SLIP_ESC_ESC;
    } else out[j++] = b;
  }
  out[j++] = SLIP_END;
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
  private noiseBytes: number[] = [];

  constructor(
    private readonly events: SlipDecoderEvents,
    private readonly maxFrame = 0x4000 + 0x400,
  ) {
    this.buf = new Uint8Array(Math.min(maxFrame, 4096));
  }

  /** Forgets a partial frame (after a reset or a baud change). */
  reset(): void {
    this.len = 0;
    this.inFrame = false;
    this.escaped = false;
    this.dropping = false;
    this.noiseBytes = [];
  }

  push(chunk: Uint8Array): void {
    for (const b of chunk) {
      if (!this.inFrame) {
        if (b === SLIP_END) {
          this.flushNoise();
          this.inFrame = true;
          this.len = 0;
          this.escaped = false;
          this.dropping = false;
        } else this.noiseBytes.push(b);
        continue;
      }
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
      if (this.len >= this.buf.length) {
        const bigger = new Uint8Array(Math.min(this.maxFrame, this.buf.length * 2));
        bigger.set(this.buf);
        this.buf = bigger;
      }
      this.buf[this.len++] = v;
    }
    this.flushNoise();
  }

  private flushNoise(): void {
    if (this.noiseBytes.length === 0) return;
    const bytes = Uint8Array.from(this.noiseBytes);
    this.noiseBytes = [];
    this.events.noise?.(bytes);
  }
}
