import { ErrorCodes } from "@factory/core";
import { PicoErrorCodes, picoError } from "../errors";
import { FAMILIES, familyIdName, PICO_FAMILIES, type PicoFamily } from "../families";
import {
  decodeBlock,
  isRp2350IgnoreBlock,
  UF2_BLOCK_SIZE,
  UF2_FLAG_FAMILY_ID_PRESENT,
  UF2_FLAG_NOT_MAIN_FLASH,
  UF2_PAYLOAD_SIZE,
  type Uf2Block,
} from "./block";

export interface Uf2ReadOptions {
  /** The board's family: blocks for other families are ignored, and a file with none for it is refused. */
  family?: PicoFamily;
  /** The board's flash size in bytes: an image reaching beyond it is refused (`IMAGE_TOO_LARGE`). */
  flashSize?: number;
}

/** A contiguous run of payload in a UF2 file. */
export interface Uf2Range {
  address: number;
  size: number;
}

/** What a UF2 file holds for one family, checked the way the bootrom checks it. */
export interface Uf2Image {
  familyId: number;
  family: PicoFamily | undefined;
  /** `flash` (0x10000000…) or `ram` (an image the bootrom runs from SRAM). */
  target: "flash" | "ram";
  blocks: number;
  /** Payload ranges in address order (adjacent blocks merged). */
  ranges: Uf2Range[];
  /** Lowest and highest+1 address written. */
  start: number;
  end: number;
  /** The bytes from `start` to `end`; gaps between ranges are 0xFF (erased flash). */
  flat: Uint8Array;
  /** Family ids present in the file but not taken (other families' blocks, the RP2350-E10 block). */
  ignoredFamilyIds: number[];
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  picoError(ErrorCodes.IMAGE_INVALID, message, { retryable: false, details });

/**
 * Reads and checks a UF2 file against the RP2040 / RP2350 bootrom rules: 512-byte blocks with
 * both magics, the family id present, 256-byte payloads at 256-aligned addresses, block numbers
 * 0…numBlocks−1 each exactly once with one numBlocks, every payload wholly in flash or wholly in
 * RAM. Throws `IMAGE_INVALID` (corrupt file), `UF2_WRONG_FAMILY` (nothing for `family`),
 * `IMAGE_TOO_LARGE` (beyond `flashSize`). Changes nothing.
 *
 * @example
 * const image = readUf2(await readFile("blink.uf2"), { family: "rp2040", flashSize: 2 << 20 });
 */
export function readUf2(bytes: Uint8Array, options: Uf2ReadOptions = {}): Uf2Image {
  if (bytes.length === 0 || bytes.length % UF2_BLOCK_SIZE !== 0) {
    throw invalid(`This is not a UF2 file: its length ${bytes.length} is not a multiple of 512`, {
      length: bytes.length,
    });
  }
  const byFamily = new Map<number, Uf2Block[]>();
  for (let i = 0; i < bytes.length / UF2_BLOCK_SIZE; i += 1) {
    const decoded = decodeBlock(bytes, i * UF2_BLOCK_SIZE);
    if (!decoded.ok) throw invalid(`UF2 block ${i} is corrupt: ${decoded.reason}`, { block: i });
    const block = decoded.block;
    if (block.flags & UF2_FLAG_NOT_MAIN_FLASH) continue;
    if ((block.flags & UF2_FLAG_FAMILY_ID_PRESENT) === 0) {
      throw invalid(`UF2 block ${i} has no family id; RP2040 and RP2350 bootroms ignore such blocks`, {
        block: i,
      });
    }
    const list = byFamily.get(block.familyOrSize) ?? [];
    list.push(block);
    byFamily.set(block.familyOrSize, list);
  }
  const chosen = chooseFamily(byFamily, options.family);
  const ignoredFamilyIds = [...byFamily.keys()].filter((id) => id !== chosen.id);
  return checkBlocks(chosen.id, chosen.blocks, options, ignoredFamilyIds);
}

function chooseFamily(byFamily: Map<number, Uf2Block[]>, family: PicoFamily | undefined) {
  // The RP2350-E10 block is a lone "absolute" block that every bootrom must skip.
  const content = [...byFamily.entries()]
    .map(([id, blocks]) => ({ id, blocks: blocks.filter((b) => !isRp2350IgnoreBlock(b)) }))
    .filter((e) => e.blocks.length > 0);
  if (content.length === 0) throw invalid("The UF2 file holds no blocks for main flash or RAM");
  if (family) {
    const accepted = FAMILIES[family].acceptedFamilyIds;
    const match = accepted.map((id) => content.find((e) => e.id === id)).find((e) => e !== undefined);
    if (!match) {
      throw picoError(
        PicoErrorCodes.UF2_WRONG_FAMILY,
        `This UF2 is for ${content.map((e) => familyIdName(e.id)).join(", ")}, not for an ${FAMILIES[family].chip}; the bootrom would ignore it`,
        { retryable: false, details: { family, familyIds: content.map((e) => e.id) } },
      );
    }
    return match;
  }
  const known = content.filter((e) =>
    PICO_FAMILIES.some((f) => FAMILIES[f].acceptedFamilyIds.includes(e.id)),
  );
  const pick = known[0] ?? content[0]!;
  if (known.length > 1) {
    throw invalid(
      `The UF2 holds images for several families (${known.map((e) => familyIdName(e.id)).join(", ")}); name the board's family`,
    );
  }
  return pick;
}

function checkBlocks(
  familyId: number,
  blocks: Uf2Block[],
  options: Uf2ReadOptions,
  ignored: number[],
): Uf2Image {
  const family =
    options.family ?? PICO_FAMILIES.find((f) => FAMILIES[f].acceptedFamilyIds.includes(familyId));
  const info = FAMILIES[family ?? "rp2040"];
  const numBlocks = blocks[0]!.numBlocks;
  if (numBlocks === 0) throw invalid("UF2 numBlocks is 0");
  const seen = new Uint8Array(numBlocks);
  let flash = 0;
  let ram = 0;
  for (const b of blocks) {
    const at = { blockNo: b.blockNo, address: b.targetAddr };
    if (b.numBlocks !== numBlocks) {
      throw invalid(`UF2 block ${b.blockNo} says ${b.numBlocks} blocks, the first said ${numBlocks}`, at);
    }
    if (b.blockNo >= numBlocks)
      throw invalid(`UF2 block number ${b.blockNo} is beyond numBlocks ${numBlocks}`, at);
    if (seen[b.blockNo]) throw invalid(`UF2 block ${b.blockNo} appears twice`, at);
    seen[b.blockNo] = 1;
    if (b.payloadSize !== UF2_PAYLOAD_SIZE) {
      throw invalid(
        `UF2 block ${b.blockNo} carries ${b.payloadSize} bytes; RP2040/RP2350 bootroms need 256`,
        at,
      );
    }
    if (b.targetAddr % UF2_PAYLOAD_SIZE !== 0) {
      throw invalid(
        `UF2 block ${b.blockNo} targets 0x${b.targetAddr.toString(16)}, which is not 256-aligned`,
        at,
      );
    }
    const end = b.targetAddr + UF2_PAYLOAD_SIZE;
    if (b.targetAddr >= info.flashBase && end <= info.flashBase + info.maxFlashSize) {
      flash += 1;
      if (options.flashSize !== undefined && end > info.flashBase + options.flashSize) {
        throw picoError(
          ErrorCodes.IMAGE_TOO_LARGE,
          `The UF2 writes up to 0x${end.toString(16)}, beyond the ${options.flashSize}-byte flash of this board`,
          { retryable: false, details: { ...at, flashSize: options.flashSize } },
        );
      }
    } else if (b.targetAddr >= info.ram[0] && end <= info.ram[1]) {
      ram += 1;
    } else {
      throw picoError(
        ErrorCodes.IMAGE_TOO_LARGE,
        `UF2 block ${b.blockNo} targets 0x${b.targetAddr.toString(16)}, outside the flash and RAM of an ${info.chip}`,
        { retryable: false, details: at },
      );
    }
  }
  const missing = seen.indexOf(0);
  if (missing >= 0)
    throw invalid(`UF2 block ${missing} of ${numBlocks} is missing (truncated file?)`, { missing });
  if (flash > 0 && ram > 0) throw invalid("The UF2 mixes flash and RAM blocks");
  return assemble(familyId, family, flash > 0 ? "flash" : "ram", blocks, ignored);
}

function assemble(
  familyId: number,
  family: PicoFamily | undefined,
  target: "flash" | "ram",
  blocks: Uf2Block[],
  ignoredFamilyIds: number[],
): Uf2Image {
  const sorted = [...blocks].sort((a, b) => a.targetAddr - b.targetAddr);
  for (let i = 1; i < sorted.length; i += 1) {
    if (sorted[i]!.targetAddr === sorted[i - 1]!.targetAddr) {
      throw invalid(`Two UF2 blocks write 0x${sorted[i]!.targetAddr.toString(16)}`);
    }
  }
  const start = sorted[0]!.targetAddr;
  const end = sorted.at(-1)!.targetAddr + UF2_PAYLOAD_SIZE;
  const flat = new Uint8Array(end - start).fill(0xff);
  const ranges: Uf2Range[] = [];
  for (const b of sorted) {
    flat.set(b.data.subarray(0, UF2_PAYLOAD_SIZE), b.targetAddr - start);
    const last = ranges.at(-1);
    if (last && last.address + last.size === b.targetAddr) last.size += UF2_PAYLOAD_SIZE;
    else ranges.push({ address: b.targetAddr, size: UF2_PAYLOAD_SIZE });
  }
  return { familyId, family, target, blocks: blocks.length, ranges, start, end, flat, ignoredFamilyIds };
}
