import { createError, ErrorCodes } from "../errors";
import type { ImageSegment } from "./intel-hex";

export interface FlatImageOptions {
  /** Address the image starts at; defaults to the lowest segment address. Data below it is an error. */
  base?: number;
  /** Byte written into gaps between segments (erased flash reads 0xFF). Default 0xFF. */
  fill?: number;
  /** Whether gaps between segments are allowed (and filled). Default true; false rejects them. */
  allowGaps?: boolean;
  /** Largest image accepted, in bytes (guards against sparse files spanning gigabytes). Default 64 MiB. */
  maxSize?: number;
  /** Package prefix of the errors; defaults to `core`. */
  pkg?: string;
}

/** One contiguous image and the address of its first byte. */
export interface FlatImage {
  offset: number;
  data: Uint8Array;
}

/**
 * Joins image segments into one contiguous block starting at `base`, filling gaps with `fill`.
 * Rejects with `IMAGE_INVALID` when there is no data, data lies below `base`, or a gap exists and
 * `allowGaps` is false; with `IMAGE_TOO_LARGE` when the span exceeds `maxSize`.
 *
 * @example
 * const { offset, data } = hexToImage(parseIntelHex(text).segments, { base: 0 });
 */
export function hexToImage(segments: readonly ImageSegment[], options: FlatImageOptions = {}): FlatImage {
  const pkg = options.pkg ?? "core";
  const fill = options.fill ?? 0xff;
  const maxSize = options.maxSize ?? 64 * 1024 * 1024;
  const sorted = segments.filter((s) => s.data.length > 0).sort((a, b) => a.address - b.address);
  if (sorted.length === 0) {
    throw createError(pkg, ErrorCodes.IMAGE_INVALID, "The image holds no data", { retryable: false });
  }
  const first = sorted[0]!;
  const base = options.base ?? first.address;
  if (first.address < base) {
    throw createError(
      pkg,
      ErrorCodes.IMAGE_INVALID,
      `The image has data at 0x${first.address.toString(16)}, below its start address 0x${base.toString(16)}`,
      { details: { address: first.address, base }, retryable: false },
    );
  }
  const end = Math.max(...sorted.map((s) => s.address + s.data.length));
  const size = end - base;
  if (size > maxSize) {
    throw createError(
      pkg,
      ErrorCodes.IMAGE_TOO_LARGE,
      `The image spans ${size} bytes (0x${base.toString(16)}–0x${end.toString(16)}), more than the ${maxSize} allowed`,
      { details: { base, end, size, maxSize }, retryable: false },
    );
  }
  const data = new Uint8Array(size).fill(fill);
  let covered = base;
  for (const segment of sorted) {
    if (segment.address < covered && segment !== first) {
      throw createError(
        pkg,
        ErrorCodes.IMAGE_INVALID,
        `Image segments overlap at 0x${segment.address.toString(16)}`,
        { details: { address: segment.address }, retryable: false },
      );
    }
    if (options.allowGaps === false && segment.address > covered) {
      throw createError(
        pkg,
        ErrorCodes.IMAGE_INVALID,
        `The image has a gap from 0x${covered.toString(16)} to 0x${segment.address.toString(16)}`,
        { details: { from: covered, to: segment.address }, retryable: false },
      );
    }
    data.set(segment.data, segment.address - base);
    covered = segment.address + segment.data.length;
  }
  return { offset: base, data };
}
