import { describe, expect, it } from "vitest";
import { formatHostStatus, parseHostStatus, takeFrames, toPrinterStatus } from "./host-status";

// A healthy printer's answer, field by field as ZPL II documents ~HS (STX … ETX CR LF ×3).
const HEALTHY =
  "\x02030,0,0,1245,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n";

function withField(frame: 0 | 1, index: number, value: string): string {
  const frames = takeFrames(Buffer.from(HEALTHY, "latin1")).frames;
  const parts = frames[frame]!.split(",");
  parts[index] = value;
  frames[frame] = parts.join(",");
  return frames.map((f) => `\x02${f}\x03\r\n`).join("");
}

function statusOf(raw: string) {
  return toPrinterStatus(parseHostStatus(takeFrames(Buffer.from(raw, "latin1")).frames));
}

describe("~HS host status", () => {
  it("splits the three STX/ETX strings and reports a healthy printer as ready", () => {
    const { frames, used } = takeFrames(Buffer.from(HEALTHY, "latin1"));
    expect(frames).toEqual([
      "030,0,0,1245,000,0,0,0,000,0,0,0",
      "001,0,0,0,1,2,6,0,00000000,1,000",
      "1234,0",
    ]);
    expect(used).toBe(HEALTHY.length);
    expect(statusOf(HEALTHY)).toEqual({ state: "ready", queued: 0 });
  });

  it("waits for a frame cut in the middle", () => {
    const half = Buffer.from(HEALTHY.slice(0, 50), "latin1");
    expect(takeFrames(half).frames).toHaveLength(1);
  });

  it.each([
    [0, 1, "paper-out", "paper out"],
    [0, 2, "paused", "paused"],
    [0, 9, "error", "corrupt RAM"],
    [0, 11, "error", "over temperature"],
    [1, 2, "head-open", "head open"],
    [1, 3, "ribbon-out", "ribbon out"],
  ] as const)("string %i field %i set → %s", (frame, index, state, detail) => {
    const status = statusOf(withField(frame, index, "1"));
    expect(status.state).toBe(state);
    expect(status.detail).toContain(detail);
  });

  it("reads formats in the buffer, buffer full and partial format", () => {
    const hs = parseHostStatus(takeFrames(Buffer.from(withField(0, 4, "003"), "latin1")).frames);
    expect(hs.formatsInBuffer).toBe(3);
    expect(statusOf(withField(0, 5, "1")).state).toBe("busy");
    expect(
      parseHostStatus(takeFrames(Buffer.from(withField(0, 7, "1"), "latin1")).frames).partialFormat,
    ).toBe(true);
  });

  it("a head-open printer that is also paused reports the head first and lists both", () => {
    const raw = withField(0, 2, "1").replace("001,0,0,0", "001,0,1,0");
    const status = statusOf(raw);
    expect(status.state).toBe("head-open");
    expect(status.detail).toMatch(/head open.*paused/);
  });

  it("refuses malformed strings with a coded error", () => {
    expect(() => parseHostStatus(["030,0,x", "001"])).toThrow(
      expect.objectContaining({ code: "PRINTER_REJECTED" }),
    );
    expect(() => parseHostStatus(["030,0,0,1245,000,0,0,0,000,0,0,0"])).toThrow(
      expect.objectContaining({ code: "PRINTER_REJECTED" }),
    );
  });

  it("formats what it parses (simulator side)", () => {
    const hs = parseHostStatus(takeFrames(Buffer.from(withField(1, 3, "1"), "latin1")).frames);
    const again = parseHostStatus(takeFrames(formatHostStatus(hs)).frames);
    expect(again).toEqual(hs);
  });
});
