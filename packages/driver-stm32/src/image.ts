import { readFile } from "node:fs/promises";
import { ErrorCodes, type FlashRegion, hexToImage, isFactoryError, parseIntelHex } from "@factory/core";
import { PKG, stm32Error } from "./errors";
import { STM32_FLASH_BASE } from "./identity/families";

export interface Stm32ImageOptions {
  /** Region name (default `app`). */
  name?: string;
  /** `bin` or `hex`; default from the file name or content (a leading `:` is Intel HEX). */
  format?: "bin" | "hex";
  /** Where a .bin goes (default 0x08000000). Ignored for HEX, which carries its addresses. */
  offset?: number;
  /**
   * HEX files with holes between records: `fill` (default) fills holes with 0xFF, the erased
   * value, as long as the whole span is at most `maxGap` bytes of hole; `reject` refuses any hole.
   */
  gaps?: "fill" | "reject";
  /** Largest hole filled, bytes (default 64 KB: a hole wider than that is a mistake, e.g. a RAM or option-byte record). */
  maxGap?: number;
}

/**
 * Turns an image file (or its bytes) into a flash region for an STM32 plan. Intel HEX records
 * become one contiguous region at their own address; a .bin goes to `offset`.
 * Rejects `IMAGE_INVALID` for a broken or gapped HEX file and `FILE_NOT_FOUND` for a missing one.
 *
 * @example
 * const app = await loadStm32Image("build/app.hex");
 * await session.flash({ regions: [app] });
 */
export async function loadStm32Image(
  source: string | Uint8Array,
  options: Stm32ImageOptions = {},
): Promise<FlashRegion> {
  const name = options.name ?? "app";
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = new Uint8Array(await readFile(source));
    } catch (error) {
      throw stm32Error(ErrorCodes.FILE_NOT_FOUND, `Cannot read image ${source}`, {
        cause: error,
        retryable: false,
      });
    }
  } else bytes = source;
  const format =
    options.format ??
    (typeof source === "string" && /\.(hex|ihex|ihx)$/i.test(source)
      ? "hex"
      : bytes[0] === 0x3a
        ? "hex"
        : "bin");
  if (format === "bin") {
    if (bytes.length === 0)
      throw stm32Error(ErrorCodes.IMAGE_INVALID, `Image ${name} is empty`, { retryable: false });
    return { name, offset: options.offset ?? STM32_FLASH_BASE, data: bytes, scope: "shared" };
  }
  try {
    const parsed = parseIntelHex(bytes, {
      pkg: PKG,
      ...(typeof source === "string" ? { file: source } : {}),
    });
    const segments = parsed.segments;
    const maxGap = options.maxGap ?? 64 * 1024;
    const sorted = [...segments].filter((s) => s.data.length > 0).sort((a, b) => a.address - b.address);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const gap = sorted[i]!.address - (prev.address + prev.data.length);
      if (gap > 0 && (options.gaps === "reject" || gap > maxGap)) {
        throw stm32Error(
          ErrorCodes.IMAGE_INVALID,
          `The HEX image ${name} has a gap of ${gap} bytes at 0x${(prev.address + prev.data.length).toString(16)}; split it into separate regions or allow filling`,
          { details: { from: prev.address + prev.data.length, to: sorted[i]!.address }, retryable: false },
        );
      }
    }
    const flat = hexToImage(segments, { pkg: PKG });
    return { name, offset: flat.offset, data: flat.data, scope: "shared" };
  } catch (error) {
    if (isFactoryError(error)) throw error;
    throw stm32Error(ErrorCodes.IMAGE_INVALID, `Image ${name} is not valid Intel HEX`, {
      cause: error,
      retryable: false,
    });
  }
}
