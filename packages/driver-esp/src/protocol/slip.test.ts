import { describe, expect, it } from "vitest";
import { SlipDecoder, slipEncode } from "./slip";

function decodeAll(chunks: Uint8Array[], maxFrame?: number): { frames: number[][]; noise: number } {
  const frames: number[][] = [];
  let noise = 0;
  const d = new SlipDecoder(
    { frame: (f) => frames.push([...f]), noise: (b) => (noise += b.length) },
    maxFrame,
  );
  for (const c of chunks) d.push(c);
  return { frames, noise };
}

describe("SLIP", () => {
  it("round-trips frames with END and ESC bytes, split at every possible point", () => {
    const payload = Uint8Array.of(1, 0xc0, 2, 0xdb, 0xdb, 3, 0xc0);
    const wire = new Uint8Array([...slipEncode(payload), ...slipEncode(Uint8Array.of(9))]);
    expect([...slipEncode(payload)]).toEqual([
      0xc0, 1, 0xdb, 0xdc, 2, 0xdb, 0xdd, 0xdb, 0xdd, 3, 0xdb, 0xdc, 0xc0,
    ]);
    for (let cut = 0; cut <= wire.length; cut++) {
      const { frames } = decodeAll([wire.subarray(0, cut), wire.subarray(cut)]);
      expect(frames).toEqual([[...payload], [9]]);
    }
  });

  it("reports noise outside frames, drops bad escapes and oversize frames, then resynchronises", () => {
    const text = new TextEncoder().encode("boot log\r\n");
    const bad = Uint8Array.of(0xc0, 1, 0xdb, 0x05, 2, 0xc0);
    const big = slipEncode(new Uint8Array(40).fill(7));
    const good = slipEncode(Uint8Array.of(4, 5));
    const { frames, noise } = decodeAll([text, bad, big, good], 32);
    expect(noise).toBe(text.length);
    expect(frames).toEqual([[4, 5]]);
  });
});
