import { createError, ErrorCodes } from "../errors";

/** A run of contiguous bytes at an absolute address, as found in an image file. */
export interface ImageSegment {
  address: number;
  data: Uint8Array;
}

/** What an Intel HEX file holds: its data, in address order, and the entry point if it names one. */
export interface IntelHexImage {
  /** Contiguous runs of data, sorted by address, never overlapping. */
  segments: ImageSegment[];
  /** Entry point from a type 05 (Start Linear Address) record. */
  startAddress?: number;
  /** CS:IP from a type 03 (Start Segment Address) record (x86 real mode; rare on MCUs). */
  startSegment?: { cs: number; ip: number };
}

export interface ParseIntelHexOptions {
  /** File name used in error messages (`app.hex line 12: …`). */
  file?: string;
  /** Package prefix of the errors; defaults to `core`. */
  pkg?: string;
}

const RECORD_DATA = 0x00;
const RECORD_EOF = 0x01;
const RECORD_EXT_SEGMENT = 0x02;
const RECORD_START_SEGMENT = 0x03;
const RECORD_EXT_LINEAR = 0x04;
const RECORD_START_LINEAR = 0x05;

/**
 * Parses Intel HEX text (record types 00–05). Every record's checksum is checked; a bad record,
 * a missing end-of-file record, data after it, or two records writing the same address rejects
 * with `IMAGE_INVALID` naming the file and line.
 *
 * Addressing: type 04 sets the upper 16 bits of a 32-bit linear address; type 02 sets a segment
 * base (value × 16) and offsets wrap within its 64 KiB, as the format defines.
 *
 * @example
 * const { segments } = parseIntelHex(await readFile("blink.hex", "latin1"), { file: "blink.hex" });
 */
export function parseIntelHex(input: string | Uint8Array, options: ParseIntelHexOptions = {}): IntelHexImage {
  const text = typeof input === "string" ? input : Buffer.from(input).toString("latin1");
  const pkg = options.pkg ?? "core";
  const where = (line: number): string => `${options.file ?? "Intel HEX"} line ${line}`;
  const fail = (line: number, message: string, details: Record<string, unknown> = {}): never => {
    throw createError(pkg, ErrorCodes.IMAGE_INVALID, `${where(line)}: ${message}`, {
      details: { file: options.file, line, ...details },
      retryable: false,
    });
  };

  const chunks: Chunk[] = [];
  const image: IntelHexImage = { segments: [] };
  let linearBase = 0;
  let segmentBase = 0;
  let useSegment = false;
  let eofLine = 0;

  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i += 1) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    if (eofLine > 0) fail(lineNo, `record after the end-of-file record on line ${eofLine}`);
    if (line[0] !== ":")
      fail(lineNo, `a record must start with ':' (found ${JSON.stringify(line.slice(0, 8))})`);
    const body = line.slice(1);
    if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) {
      fail(lineNo, "the record holds characters that are not hexadecimal digit pairs");
    }
    const bytes = Buffer.from(body, "hex");
    if (bytes.length < 5) fail(lineNo, `the record is too short (${bytes.length} bytes, at least 5 needed)`);
    const count = bytes[0]!;
    if (bytes.length !== count + 5) {
      fail(lineNo, `the byte count says ${count} data bytes but the record holds ${bytes.length - 5}`, {
        expected: count,
        actual: bytes.length - 5,
      });
    }
    let sum = 0;
    for (const b of bytes) sum = (sum + b) & 0xff;
    if (sum !== 0) {
      const stored = bytes[bytes.length - 1]!;
      const expected = (stored - sum) & 0xff;
      fail(lineNo, `checksum mismatch (record says 0x${hex2(stored)}, contents give 0x${hex2(expected)})`, {
        expected,
        actual: stored,
      });
    }
    const offset = (bytes[1]! << 8) | bytes[2]!;
    const type = bytes[3]!;
    const data = bytes.subarray(4, 4 + count);
    const wantLength = (n: number, name: string): void => {
      if (count !== n) fail(lineNo, `a ${name} record must carry ${n} data bytes, not ${count}`);
    };
    switch (type) {
      case RECORD_DATA: {
        if (count === 0) break;
        const out = new Uint8Array(count);
        out.set(data);
        // Type 02 addressing wraps within the 64 KiB segment; type 04 is a flat 32-bit address.
        let runStart = useSegment ? segmentBase + offset : linearBase + offset;
        let runFrom = 0;
        for (let k = 0; k < count; k += 1) {
          const address = useSegment ? segmentBase + ((offset + k) & 0xffff) : linearBase + offset + k;
          if (address > 0xffffffff) fail(lineNo, "data runs past the 4 GiB address space");
          if (useSegment && k > 0 && ((offset + k) & 0xffff) === 0) {
            chunks.push({ address: runStart, data: out.slice(runFrom, k), line: lineNo });
            runStart = address;
            runFrom = k;
          }
        }
        chunks.push({ address: runStart, data: runFrom === 0 ? out : out.slice(runFrom), line: lineNo });
        break;
      }
      case RECORD_EOF:
        wantLength(0, "end-of-file");
        eofLine = lineNo;
        break;
      case RECORD_EXT_SEGMENT:
        wantLength(2, "extended segment address");
        segmentBase = ((data[0]! << 8) | data[1]!) * 16;
        useSegment = true;
        break;
      case RECORD_START_SEGMENT:
        wantLength(4, "start segment address");
        image.startSegment = { cs: (data[0]! << 8) | data[1]!, ip: (data[2]! << 8) | data[3]! };
        break;
      case RECORD_EXT_LINEAR:
        wantLength(2, "extended linear address");
        linearBase = ((data[0]! << 8) | data[1]!) * 0x10000;
        useSegment = false;
        break;
      case RECORD_START_LINEAR:
        wantLength(4, "start linear address");
        image.startAddress = ((data[0]! << 24) | (data[1]! << 16) | (data[2]! << 8) | data[3]!) >>> 0;
        break;
      default:
        fail(lineNo, `unknown record type 0x${hex2(type)} (only 00–05 exist)`, { recordType: type });
    }
  }
  if (eofLine === 0) {
    throw createError(
      pkg,
      ErrorCodes.IMAGE_INVALID,
      `${options.file ?? "Intel HEX"}: no end-of-file record (:00000001FF); the file is probably truncated`,
      { details: { file: options.file }, retryable: false },
    );
  }
  image.segments = mergeSegments(chunks, fail);
  return image;
}

interface Chunk extends ImageSegment {
  line: number;
}

/** Sorts the chunks, rejects overlaps (naming both lines) and joins the ones that touch. */
function mergeSegments(
  chunks: Chunk[],
  fail: (line: number, message: string, details?: Record<string, unknown>) => never,
): ImageSegment[] {
  const sorted = [...chunks].sort((a, b) => a.address - b.address || a.line - b.line);
  const out: ImageSegment[] = [];
  let parts: Chunk[] = [];
  let start = 0;
  let end = 0;
  const flush = (): void => {
    if (parts.length > 0) out.push({ address: start, data: concat(parts, end - start) });
  };
  for (const chunk of sorted) {
    if (parts.length > 0 && chunk.address < end) {
      const holder = parts.findLast((p) => p.address <= chunk.address) ?? parts[0]!;
      const [first, second] =
        holder.line < chunk.line ? [holder.line, chunk.line] : [chunk.line, holder.line];
      fail(second, `address 0x${chunk.address.toString(16)} was already written on line ${first}`, {
        address: chunk.address,
        firstLine: first,
      });
    }
    if (parts.length > 0 && chunk.address === end) {
      parts.push(chunk);
      end += chunk.data.length;
      continue;
    }
    flush();
    parts = [chunk];
    start = chunk.address;
    end = chunk.address + chunk.data.length;
  }
  flush();
  return out;
}

function concat(parts: Chunk[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!.data;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p.data, at);
    at += p.data.length;
  }
  return out;
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}
