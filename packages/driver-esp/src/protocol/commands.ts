/** ESP serial bootloader packets (ROM and flasher stub): layout, opcodes, checksum. All fields LE. */

export const Op = {
  FLASH_BEGIN: 0x02,
  FLASH_DATA: 0x03,
  FLASH_END: 0x04,
  MEM_BEGIN: 0x05,
  MEM_END: 0x06,
  MEM_DATA: 0x07,
  SYNC: 0x08,
  WRITE_REG: 0x09,
  READ_REG: 0x0a,
  SPI_SET_PARAMS: 0x0b,
  SPI_ATTACH: 0x0d,
  CHANGE_BAUDRATE: 0x0f,
  FLASH_DEFL_BEGIN: 0x10,
  FLASH_DEFL_DATA: 0x11,
  FLASH_DEFL_END: 0x12,
  SPI_FLASH_MD5: 0x13,
  GET_SECURITY_INFO: 0x14,
  ERASE_FLASH: 0xd0,
  ERASE_REGION: 0xd1,
  READ_FLASH: 0xd2,
  RUN_USER_CODE: 0xd3,
} as const;

export const OP_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(Op).map(([k, v]) => [v, k]),
);

/** ROM loader error codes (second status byte). */
export const RomError = {
  INVALID_PARAM: 0x01,
  RECEIVE_FAILED: 0x04,
  INVALID_MESSAGE: 0x05,
  CHECKSUM: 0x07,
  FLASH_WRITE: 0x08,
  DEFLATE: 0x0b,
} as const;

/** Flasher stub error codes. */
export const StubError = {
  BAD_DATA_LEN: 0xc0,
  BAD_DATA_CHECKSUM: 0xc1,
  BAD_BLOCKSIZE: 0xc2,
  INVALID_COMMAND: 0xc3,
  FAILED_SPI_OP: 0xc4,
  NOT_IN_FLASH_MODE: 0xc6,
  INFLATE_ERROR: 0xc7,
  NOT_ENOUGH_DATA: 0xc8,
  TOO_MUCH_DATA: 0xc9,
  CMD_NOT_IMPLEMENTED: 0xff,
} as const;

/** The 36-byte SYNC payload. */
export const SYNC_PAYLOAD: Uint8Array = Uint8Array.from([
  0x07,
  0x07,
  0x12,
  0x20,
  ...new Array<number>(32).fill(0x55),
]);

/** The stub's unsolicited greeting after MEM_END. */
export const OHAI = Uint8Array.from([0x4f, 0x48, 0x41, 0x49]);

export const CHECKSUM_SEED = 0xef;

/** XOR checksum of `_DATA` payloads, seeded with 0xEF. */
export function checksum(data: Uint8Array, seed = CHECKSUM_SEED): number {
  let c = seed;
  const n = data.length;
  for (let i = 0; i < n; i++) c ^= data[i] as number;
  return c;
}

/** Packs u32 words little-endian. */
export function u32le(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => {
    view.setUint32(i * 4, w >>> 0, true);
  });
  return out;
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      ((bytes[offset + 3] ?? 0) << 24)) >>>
    0
  );
}

/** A host → chip command packet (before SLIP). */
export function encodeCommand(op: number, data: Uint8Array, chk = 0): Uint8Array {
  const out = new Uint8Array(8 + data.length);
  const view = new DataView(out.buffer);
  out[0] = 0x00;
  out[1] = op;
  view.setUint16(2, data.length, true);
  view.setUint32(4, chk >>> 0, true);
  out.set(data, 8);
  return out;
}

/** The `_DATA` payload: `len, seq, 0, 0` then the block, and its checksum. */
export function encodeDataBlock(op: number, seq: number, block: Uint8Array): Uint8Array {
  const data = new Uint8Array(16 + block.length);
  data.set(u32le(block.length, seq, 0, 0), 0);
  data.set(block, 16);
  return encodeCommand(op, data, checksum(block));
}

export interface DecodedCommand {
  op: number;
  checksum: number;
  data: Uint8Array;
}

/** Parses a command as the chip sees it; undefined when the frame is not a well-formed command. */
export function decodeCommand(frame: Uint8Array): DecodedCommand | undefined {
  if (frame.length < 8 || frame[0] !== 0x00) return undefined;
  const len = (frame[2] ?? 0) | ((frame[3] ?? 0) << 8);
  if (frame.length !== 8 + len) return undefined;
  return { op: frame[1] ?? 0, checksum: readU32(frame, 4), data: frame.subarray(8) };
}

/** A chip → host response packet (before SLIP): data already includes the status bytes. */
export function encodeResponse(op: number, value: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const view = new DataView(out.buffer);
  out[0] = 0x01;
  out[1] = op;
  view.setUint16(2, body.length, true);
  view.setUint32(4, value >>> 0, true);
  out.set(body, 8);
  return out;
}

export interface DecodedResponse {
  op: number;
  value: number;
  /** Response data including the trailing status bytes. */
  data: Uint8Array;
}

/** Parses a response frame; undefined when it is not one (too short, wrong direction, bad length). */
export function decodeResponse(frame: Uint8Array): DecodedResponse | undefined {
  if (frame.length < 8 || frame[0] !== 0x01) return undefined;
  const len = (frame[2] ?? 0) | ((frame[3] ?? 0) << 8);
  if (frame.length < 8 + len) return undefined;
  return { op: frame[1] ?? 0, value: readU32(frame, 4), data: frame.subarray(8, 8 + len) };
}
