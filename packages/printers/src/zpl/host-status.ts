import { ErrorCodes, type PrinterStatus } from "@factory/core";
import { printerError } from "../errors";

/** The fields of a `~HS` answer this package acts on (ZPL II, three STX/ETX strings). */
export interface HostStatus {
  paperOut: boolean;
  paused: boolean;
  /** Label length in dots. */
  labelLengthDots: number;
  /** Formats in the receive buffer, not yet printed. */
  formatsInBuffer: number;
  bufferFull: boolean;
  /** The printer holds an incomplete format (`^XA` without `^XZ` yet). */
  partialFormat: boolean;
  corruptRam: boolean;
  underTemperature: boolean;
  overTemperature: boolean;
  headOpen: boolean;
  ribbonOut: boolean;
  /** Print mode digit: 0 rewind, 1 peel-off, 2 tear-off, 3 cutter, 4 applicator, 5 delayed cut. */
  printMode: number;
  /** A peeled label waits to be taken. */
  labelWaiting: boolean;
  /** Labels remaining in the current batch. */
  labelsRemaining: number;
}

const STX = 0x02;
const ETX = 0x03;

/**
 * Splits the frames out of bytes received after `~HS`: returns the complete `STX … ETX` strings
 * and how many bytes they used (CR LF after ETX included), so callers can wait for three.
 */
export function takeFrames(buffer: Buffer): { frames: string[]; used: number } {
  const frames: string[] = [];
  let used = 0;
  let i = buffer.indexOf(STX);
  while (i >= 0) {
    const end = buffer.indexOf(ETX, i + 1);
    if (end < 0) break;
    frames.push(buffer.subarray(i + 1, end).toString("latin1"));
    used = end + 1;
    while (used < buffer.length && (buffer[used] === 0x0d || buffer[used] === 0x0a)) used++;
    i = buffer.indexOf(STX, used);
  }
  return { frames, used };
}

function fields(frame: string, count: number, which: string): string[] {
  const parts = frame.split(",").map((p) => p.trim());
  if (parts.length < count || parts.slice(0, count).some((p) => !/^\d+$/.test(p))) {
    throw printerError(ErrorCodes.PRINTER_REJECTED, `The printer's ~HS ${which} string is malformed`, {
      details: { frame: frame.slice(0, 80) },
    });
  }
  return parts;
}

/** Parses the first two `~HS` strings (the third holds the password and RAM flag and is ignored). */
export function parseHostStatus(frames: readonly string[]): HostStatus {
  if (frames.length < 2) {
    throw printerError(ErrorCodes.PRINTER_REJECTED, `The printer sent ${frames.length} of the 3 ~HS strings`);
  }
  const a = fields(frames[0]!, 12, "first");
  const b = fields(frames[1]!, 11, "second");
  const flag = (v: string | undefined): boolean => v === "1";
  const num = (v: string | undefined): number => Number.parseInt(v ?? "0", 10);
  return {
    paperOut: flag(a[1]),
    paused: flag(a[2]),
    labelLengthDots: num(a[3]),
    formatsInBuffer: num(a[4]),
    bufferFull: flag(a[5]),
    partialFormat: flag(a[7]),
    corruptRam: flag(a[9]),
    underTemperature: flag(a[10]),
    overTemperature: flag(a[11]),
    headOpen: flag(b[2]),
    ribbonOut: flag(b[3]),
    printMode: num(b[5]),
    labelWaiting: flag(b[7]),
    labelsRemaining: num(b[8]),
  };
}

/**
 * The contract's status for a `~HS` answer. Faults win over busy; the first fault found is the
 * state and every fault is listed in `detail`.
 */
export function toPrinterStatus(hs: HostStatus): PrinterStatus {
  const faults: [boolean, PrinterStatus["state"], string][] = [
    [hs.headOpen, "head-open", "head open"],
    [hs.paperOut, "paper-out", "paper out"],
    [hs.ribbonOut, "ribbon-out", "ribbon out"],
    [hs.corruptRam, "error", "corrupt RAM"],
    [hs.overTemperature, "error", "head over temperature"],
    [hs.underTemperature, "error", "head under temperature"],
    [hs.paused, "paused", "paused"],
  ];
  const active = faults.filter(([on]) => on);
  const queued = hs.formatsInBuffer;
  if (active.length) {
    return { state: active[0]![1], detail: `~HS: ${active.map(([, , d]) => d).join(", ")}`, queued };
  }
  if (hs.bufferFull) return { state: "busy", detail: "~HS: receive buffer full", queued };
  return { state: "ready", queued };
}

/** Builds the three `~HS` strings for a status (used by the simulator; field layout as parsed above). */
export function formatHostStatus(hs: HostStatus): Buffer {
  const b = (v: boolean): string => (v ? "1" : "0");
  const pad = (v: number, n: number): string =>
    String(Math.max(0, Math.min(v, 10 ** n - 1))).padStart(n, "0");
  const one = [
    "030",
    b(hs.paperOut),
    b(hs.paused),
    pad(hs.labelLengthDots, 4),
    pad(hs.formatsInBuffer, 3),
    b(hs.bufferFull),
    "0",
    b(hs.partialFormat),
    "000",
    b(hs.corruptRam),
    b(hs.underTemperature),
    b(hs.overTemperature),
  ].join(",");
  const two = [
    "001",
    "0",
    b(hs.headOpen),
    b(hs.ribbonOut),
    "0",
    String(hs.printMode),
    "0",
    b(hs.labelWaiting),
    pad(hs.labelsRemaining, 8),
    "1",
    "000",
  ].join(",");
  const three = "1234,0";
  const frame = (s: string): string => `\x02${s}\x03\r\n`;
  return Buffer.from(frame(one) + frame(two) + frame(three), "latin1");
}
