import { type FlashRegion, hexToImage, parseIntelHex } from "@factory/core";
import { PKG } from "../errors";

/** A region as bytes at an absolute flash address. */
export interface BinaryRegion {
  name: string;
  offset: number;
  data: Uint8Array;
}

/** True when `data` looks like Intel HEX text (a `:` record start, only hex digits and line breaks). */
export function isIntelHex(data: Uint8Array): boolean {
  if (data.length < 11 || data[0] !== 0x3a) return false;
  const sample = data.subarray(0, Math.min(data.length, 256));
  return sample.every((b) => b === 0x3a || b === 0x0d || b === 0x0a || isHexDigit(b));
}

function isHexDigit(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/**
 * Turns a plan region into bytes at a flash address. Raw binary is written at `offset`; Intel HEX
 * text is parsed (checksums checked, `IMAGE_INVALID` naming the line) and placed at `offset` +
 * the addresses in the file (so `offset` is normally 0), gaps filled with 0xFF as erased flash.
 */
export function toBinaryRegion(region: FlashRegion): BinaryRegion {
  if (!isIntelHex(region.data)) return { name: region.name, offset: region.offset, data: region.data };
  const cache = region.cache;
  const cached = cache?.get("avr:hex") as { offset: number; data: Uint8Array } | undefined;
  if (cached) return { name: region.name, offset: region.offset + cached.offset, data: cached.data };
  const parsed = parseIntelHex(region.data, { file: region.name, pkg: PKG });
  const flat = hexToImage(parsed.segments, { pkg: PKG, maxSize: 16 * 1024 * 1024 });
  cache?.set("avr:hex", flat);
  return { name: region.name, offset: region.offset + flat.offset, data: flat.data };
}
