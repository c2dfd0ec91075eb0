import { ErrorCodes } from "@factory/core";
import { picoError } from "../errors";
import { FAMILIES, type PicoFamily, UF2_FAMILY_IDS } from "../families";
import {
  encodeBlock,
  RP2350_E10_ADDRESS,
  UF2_EXTENSION_RP2_IGNORE_BLOCK,
  UF2_FLAG_EXTENSION_TAGS_PRESENT,
  UF2_FLAG_FAMILY_ID_PRESENT,
  UF2_PAYLOAD_SIZE,
} from "./block";

export interface Uf2WriteOptions {
  family: PicoFamily;
  /** Absolute address of the first byte. Default: the start of flash (0x10000000). 256-aligned. */
  address?: number;
  /** Override the family id written in every block (e.g. RP2350 RISC-V 0xE48BFF5A). */
  familyId?: number;
  /** Flash size of the target, to refuse an image that does not fit. Default: the family's largest. */
  flashSize?: number;
  /**
   * Put the RP2350-E10 workaround block first, as picotool 2.x does for RP2350 flash images.
   * Default: true for rp2350 flash images, never for rp2040.
   */
  errataBlock?: boolean;
}

/**
 * Turns a flat binary into a UF2 file: 512-byte blocks of 256-byte payloads, numbered from 0,
 * with the family id present, the last payload zero-padded. Rejects (`INVALID_ARGUMENT`,
 * `IMAGE_TOO_LARGE`) an empty image, an unaligned address, or an image outside the flash.
 *
 * @example
 * const uf2 = writeUf2(await readFile("blink.bin"), { family: "rp2040" });
 */
export function writeUf2(data: Uint8Array, options: Uf2WriteOptions): Uint8Array {
  const info = FAMILIES[options.family];
  if (!info) throw picoError(ErrorCodes.INVALID_ARGUMENT, `Unknown chip family ${String(options.family)}`);
  const address = options.address ?? info.flashBase;
  if (data.length === 0)
    throw picoError(ErrorCodes.INVALID_ARGUMENT, "The image is empty", { retryable: false });
  if (!Number.isInteger(address) || address % UF2_PAYLOAD_SIZE !== 0) {
    throw picoError(
      ErrorCodes.INVALID_ARGUMENT,
      `UF2 address 0x${address.toString(16)} is not 256-byte aligned`,
      {
        retryable: false,
      },
    );
  }
  const flashSize = options.flashSize ?? info.maxFlashSize;
  const end = address + data.length;
  const inFlash = address >= info.flashBase && end <= info.flashBase + flashSize;
  const inRam = address >= info.ram[0] && end <= info.ram[1];
  if (!inFlash && !inRam) {
    throw picoError(
      ErrorCodes.IMAGE_TOO_LARGE,
      `An image of ${data.length} bytes at 0x${address.toString(16)} does not fit the ${flashSize}-byte flash of an ${info.chip}`,
      { retryable: false, details: { address, size: data.length, flashSize } },
    );
  }
  const familyId = options.familyId ?? info.uf2FamilyId;
  const count = Math.ceil(data.length / UF2_PAYLOAD_SIZE);
  const errata = inFlash && options.family === "rp2350" && (options.errataBlock ?? true);
  const out = new Uint8Array((count + (errata ? 1 : 0)) * 512);
  let at = 0;
  if (errata) {
    out.set(
      encodeBlock({
        flags: UF2_FLAG_FAMILY_ID_PRESENT | UF2_FLAG_EXTENSION_TAGS_PRESENT,
        targetAddr: RP2350_E10_ADDRESS,
        payloadSize: UF2_PAYLOAD_SIZE,
        blockNo: 0,
        numBlocks: 2,
        familyOrSize: UF2_FAMILY_IDS.ABSOLUTE,
        payload: new Uint8Array(UF2_PAYLOAD_SIZE).fill(0xef),
        extension: UF2_EXTENSION_RP2_IGNORE_BLOCK,
      }),
      0,
    );
    at = 512;
  }
  for (let i = 0; i < count; i += 1) {
    // The output is zeroed, so a short last payload is zero-padded by construction.
    encodeBlock(
      {
        flags: UF2_FLAG_FAMILY_ID_PRESENT,
        targetAddr: address + i * UF2_PAYLOAD_SIZE,
        payloadSize: UF2_PAYLOAD_SIZE,
        blockNo: i,
        numBlocks: count,
        familyOrSize: familyId,
        payload: data.subarray(i * UF2_PAYLOAD_SIZE, (i + 1) * UF2_PAYLOAD_SIZE),
      },
      out,
      at,
    );
    at += 512;
  }
  return out;
}
