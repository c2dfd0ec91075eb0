/** AN3155 bytes and command codes. */
export const ACK = 0x79;
export const NACK = 0x1f;
export const SYNC = 0x7f;

export const Cmd = {
  GET: 0x00,
  GET_VERSION: 0x01,
  GET_ID: 0x02,
  READ_MEMORY: 0x11,
  GO: 0x21,
  WRITE_MEMORY: 0x31,
  ERASE: 0x43,
  EXTENDED_ERASE: 0x44,
  WRITE_PROTECT: 0x63,
  WRITE_UNPROTECT: 0x73,
  READOUT_PROTECT: 0x82,
  READOUT_UNPROTECT: 0x92,
} as const;

/** XOR of all bytes: the checksum of addresses and data blocks. */
export function xorAll(bytes: ArrayLike<number>, seed = 0): number {
  let x = seed;
  for (let i = 0; i < bytes.length; i++) x ^= bytes[i]!;
  return x & 0xff;
}

/** A 4-byte big-endian address followed by its XOR checksum. */
export function addressFrame(address: number): Uint8Array {
  const a = Uint8Array.of(
    (address >>> 24) & 0xff,
    (address >>> 16) & 0xff,
    (address >>> 8) & 0xff,
    address & 0xff,
  );
  return Uint8Array.of(...a, xorAll(a));
}
