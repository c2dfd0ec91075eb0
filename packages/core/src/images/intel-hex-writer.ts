export interface ToIntelHexOptions {
  /** Data bytes per record; 16 by default (32 is also common). At most 255. */
  recordSize?: number;
  /** Adds a type 05 Start Linear Address record. */
  startAddress?: number;
  /** Line ending; `\n` by default. */
  lineEnding?: string;
}

/**
 * Writes `data` placed at `base` as Intel HEX: type 04 records whenever the upper 16 address bits
 * change (or the image sits above 64 KiB), data records that never cross a 64 KiB boundary, an
 * optional type 05 entry point, and the end-of-file record.
 *
 * @example
 * await writeFile("serial.hex", toIntelHex(bytes, 0x7000));
 */
export function toIntelHex(data: Uint8Array, base = 0, options: ToIntelHexOptions = {}): string {
  const size = options.recordSize ?? 16;
  if (!Number.isInteger(size) || size < 1 || size > 255) throw new RangeError("recordSize must be 1–255");
  if (!Number.isInteger(base) || base < 0 || base + data.length > 0x100000000) {
    throw new RangeError("the image must lie inside the 32-bit address space");
  }
  const eol = options.lineEnding ?? "\n";
  const lines: string[] = [];
  let upper = -1;
  let at = 0;
  while (at < data.length) {
    const address = base + at;
    const high = Math.floor(address / 0x10000);
    if (high !== upper) {
      if (high !== 0 || upper !== -1) lines.push(record(0x04, 0, [high >> 8, high & 0xff]));
      upper = high;
    }
    const low = address % 0x10000;
    const n = Math.min(size, data.length - at, 0x10000 - low);
    lines.push(record(0x00, low, data.subarray(at, at + n)));
    at += n;
  }
  if (options.startAddress !== undefined) {
    const s = options.startAddress >>> 0;
    lines.push(record(0x05, 0, [s >>> 24, (s >>> 16) & 0xff, (s >>> 8) & 0xff, s & 0xff]));
  }
  lines.push(record(0x01, 0, []));
  return lines.join(eol) + eol;
}

function record(type: number, address: number, data: ArrayLike<number>): string {
  const bytes = [data.length, (address >> 8) & 0xff, address & 0xff, type, ...Array.from(data)];
  const sum = bytes.reduce((a, b) => (a + b) & 0xff, 0);
  bytes.push((0x100 - sum) & 0xff);
  return `:${bytes.map((b) => b.toString(16).toUpperCase().padStart(2, "0")).join("")}`;
}
