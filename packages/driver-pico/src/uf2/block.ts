/** UF2 constants and the 512-byte block codec (every field u32 little-endian). */

export const UF2_MAGIC_START0 = 0x0a324655;
export const UF2_MAGIC_START1 = 0x9e5d5157;
export const UF2_MAGIC_END = 0x0ab16f30;
export const UF2_BLOCK_SIZE = 512;
/** Payload bytes per block; the RP2040 bootrom accepts no other size. */
export const UF2_PAYLOAD_SIZE = 256;
/** Room for payload (and extension tags) in a block. */
export const UF2_DATA_SIZE = 476;

export const UF2_FLAG_NOT_MAIN_FLASH = 0x0000_0001;
export const UF2_FLAG_FILE_CONTAINER = 0x0000_1000;
export const UF2_FLAG_FAMILY_ID_PRESENT = 0x0000_2000;
export const UF2_FLAG_MD5_PRESENT = 0x0000_4000;
export const UF2_FLAG_EXTENSION_TAGS_PRESENT = 0x0000_8000;

/** Extension tag picotool puts after the payload of the RP2350-E10 workaround block. */
export const UF2_EXTENSION_RP2_IGNORE_BLOCK = 0x9957e304;
/** Target address of the RP2350-E10 workaround block. */
export const RP2350_E10_ADDRESS = 0x10ff_ff00;

/** One decoded block. */
export interface Uf2Block {
  flags: number;
  targetAddr: number;
  payloadSize: number;
  blockNo: number;
  numBlocks: number;
  /** familyID when {@link UF2_FLAG_FAMILY_ID_PRESENT} is set, otherwise the file size. */
  familyOrSize: number;
  /** The 476-byte data area (payload first, then zero padding or extension tags). */
  data: Uint8Array;
}

/** Encodes one block (into `into` at `at`, which must be zeroed, or a new array). `payload` fits the 476-byte data area. */
export function encodeBlock(
  block: Omit<Uf2Block, "data"> & { payload: Uint8Array; extension?: number },
  into: Uint8Array = new Uint8Array(UF2_BLOCK_SIZE),
  at = 0,
): Uint8Array {
  const out = into.subarray(at, at + UF2_BLOCK_SIZE);
  const view = new DataView(out.buffer, out.byteOffset, UF2_BLOCK_SIZE);
  view.setUint32(0, UF2_MAGIC_START0, true);
  view.setUint32(4, UF2_MAGIC_START1, true);
  view.setUint32(8, block.flags >>> 0, true);
  view.setUint32(12, block.targetAddr >>> 0, true);
  view.setUint32(16, block.payloadSize >>> 0, true);
  view.setUint32(20, block.blockNo >>> 0, true);
  view.setUint32(24, block.numBlocks >>> 0, true);
  view.setUint32(28, block.familyOrSize >>> 0, true);
  out.set(block.payload.subarray(0, UF2_DATA_SIZE), 32);
  if (block.extension !== undefined) view.setUint32(32 + block.payloadSize, block.extension >>> 0, true);
  view.setUint32(508, UF2_MAGIC_END, true);
  return out;
}

/** Why a block could not be decoded, or the block. */
export type DecodedBlock = { ok: true; block: Uf2Block } | { ok: false; reason: string };

/** Decodes the block at `offset` of `bytes` (which must hold 512 bytes from there). */
export function decodeBlock(bytes: Uint8Array, offset: number): DecodedBlock {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, UF2_BLOCK_SIZE);
  if (view.getUint32(0, true) !== UF2_MAGIC_START0 || view.getUint32(4, true) !== UF2_MAGIC_START1) {
    return { ok: false, reason: "its start magic is wrong" };
  }
  if (view.getUint32(508, true) !== UF2_MAGIC_END) return { ok: false, reason: "its end magic is wrong" };
  return {
    ok: true,
    block: {
      flags: view.getUint32(8, true),
      targetAddr: view.getUint32(12, true),
      payloadSize: view.getUint32(16, true),
      blockNo: view.getUint32(20, true),
      numBlocks: view.getUint32(24, true),
      familyOrSize: view.getUint32(28, true),
      data: bytes.subarray(offset + 32, offset + 32 + UF2_DATA_SIZE),
    },
  };
}

/** True when `bytes` starts with a UF2 block header (cheap format sniffing). */
export function looksLikeUf2(bytes: Uint8Array): boolean {
  if (bytes.length < UF2_BLOCK_SIZE) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return view.getUint32(0, true) === UF2_MAGIC_START0 && view.getUint32(4, true) === UF2_MAGIC_START1;
}

/** True for the extra block picotool adds at the start of RP2350 flash images (erratum E10). */
export function isRp2350IgnoreBlock(block: Uf2Block): boolean {
  if ((block.flags & UF2_FLAG_EXTENSION_TAGS_PRESENT) === 0) return false;
  if (block.targetAddr !== RP2350_E10_ADDRESS || block.payloadSize > UF2_DATA_SIZE - 4) return false;
  const view = new DataView(block.data.buffer, block.data.byteOffset, block.data.length);
  return view.getUint32(block.payloadSize, true) === UF2_EXTENSION_RP2_IGNORE_BLOCK;
}
