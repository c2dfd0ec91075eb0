/**
 * The BER subset SNMP uses (X.690 definite lengths): INTEGER, OCTET STRING, NULL, OBJECT
 * IDENTIFIER, SEQUENCE, the SMI application types and the context-tagged PDUs. Decoding is
 * strict and bounded: any malformed input throws a {@link BerError}, never reads past its buffer.
 */

/** Tags used by SNMP v1/v2c. */
export const Tag = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Sequence: 0x30,
  IpAddress: 0x40,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Opaque: 0x44,
  Counter64: 0x46,
  NoSuchObject: 0x80,
  NoSuchInstance: 0x81,
  EndOfMibView: 0x82,
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  SetRequest: 0xa3,
  TrapV1: 0xa4,
  GetBulkRequest: 0xa5,
  InformRequest: 0xa6,
  TrapV2: 0xa7,
  Report: 0xa8,
} as const;

/** Malformed BER: the datagram is dropped. */
export class BerError extends Error {
  override name = "BerError";
}

/** One decoded tag-length-value: `content` is a view into the input. */
export interface Tlv {
  tag: number;
  content: Buffer;
  /** Offset just after this TLV in the buffer it was read from. */
  end: number;
}

/** Reads the TLV at `offset` of `buf` (single-byte tags, definite lengths up to 4 length bytes). */
export function readTlv(buf: Buffer, offset = 0): Tlv {
  if (offset + 2 > buf.length) throw new BerError("truncated TLV");
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError("multi-byte tags are not used by SNMP");
  let length = buf[offset + 1]!;
  let pos = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0) throw new BerError("indefinite lengths are not allowed");
    if (n > 4) throw new BerError("length too long");
    if (pos + n > buf.length) throw new BerError("truncated length");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos + i]!;
    pos += n;
  }
  if (pos + length > buf.length) throw new BerError("content runs past the end");
  return { tag, content: buf.subarray(pos, pos + length), end: pos + length };
}

/** Reads a TLV and checks its tag. */
export function expectTlv(buf: Buffer, offset: number, tag: number, what: string): Tlv {
  const tlv = readTlv(buf, offset);
  if (tlv.tag !== tag) {
    throw new BerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  }
  return tlv;
}

/** The TLVs inside a constructed value, in order. */
export function children(content: Buffer, limit = 10_000): Tlv[] {
  const out: Tlv[] = [];
  let pos = 0;
  while (pos < content.length) {
    if (out.length >= limit) throw new BerError(`more than ${limit} elements`);
    const tlv = readTlv(content, pos);
    out.push(tlv);
    pos = tlv.end;
  }
  return out;
}

/** A signed INTEGER of at most 4 content bytes (SNMP's Integer32 range). */
export function decodeInteger(content: Buffer): number {
  if (content.length === 0 || content.length > 4) throw new BerError("INTEGER out of range");
  return content.readIntBE(0, content.length);
}

/** An OBJECT IDENTIFIER as sub-identifiers; each fits 32 bits, at most 128 of them. */
export function decodeOid(content: Buffer): number[] {
  if (content.length === 0) throw new BerError("empty OID");
  const out: number[] = [];
  let value = 0;
  let bytes = 0;
  for (const b of content) {
    if (bytes === 0 && b === 0x80) throw new BerError("OID sub-identifier with a leading 0x80");
    value = value * 128 + (b & 0x7f);
    bytes++;
    if (value > 0xffffffff) throw new BerError("OID sub-identifier over 32 bits");
    if (b & 0x80) continue;
    if (out.length === 0) {
      const first = value < 80 ? Math.floor(value / 40) : 2;
      out.push(first, value - first * 40);
    } else {
      out.push(value);
    }
    if (out.length > 128) throw new BerError("OID longer than 128 sub-identifiers");
    value = 0;
    bytes = 0;
  }
  if (bytes !== 0) throw new BerError("OID ends inside a sub-identifier");
  return out;
}

/** A TLV with the given tag around `content`. */
export function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let head: Buffer;
  if (n < 0x80) head = Buffer.from([tag, n]);
  else if (n < 0x100) head = Buffer.from([tag, 0x81, n]);
  else if (n < 0x10000) head = Buffer.from([tag, 0x82, n >> 8, n & 0xff]);
  else head = Buffer.from([tag, 0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  return Buffer.concat([head, content]);
}

/** A constructed value (SEQUENCE or PDU) from already encoded parts. */
export function constructed(tag: number, parts: readonly Buffer[]): Buffer {
  return tlv(tag, Buffer.concat(parts));
}

/** A signed 32-bit INTEGER in its shortest two's-complement form. */
export function encodeInteger(value: number, tag: number = Tag.Integer): Buffer {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`${value} is not an Integer32`);
  }
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  let start = 0;
  while (start < 3) {
    const cur = b[start]!;
    const next = b[start + 1]!;
    if ((cur === 0 && !(next & 0x80)) || (cur === 0xff && next & 0x80)) start++;
    else break;
  }
  return tlv(tag, b.subarray(start));
}

/** An unsigned value (Counter32, Gauge32, TimeTicks, Counter64) in its shortest form. */
export function encodeUnsigned(value: number | bigint, tag: number): Buffer {
  let v = BigInt(value);
  const max = tag === Tag.Counter64 ? 0xffffffffffffffffn : 0xffffffffn;
  if (v < 0n || v > max) throw new RangeError(`${value} does not fit tag 0x${tag.toString(16)}`);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return tlv(tag, Buffer.from(bytes));
}

/** An OBJECT IDENTIFIER from sub-identifiers (at least two; the first 0–2). */
export function encodeOid(oid: readonly number[]): Buffer {
  if (oid.length < 2 || oid[0]! > 2 || (oid[0]! < 2 && oid[1]! >= 40)) {
    throw new RangeError(`${oid.join(".")} is not an encodable OID`);
  }
  const bytes: number[] = [];
  const put = (n: number): void => {
    const group: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v & 0x7f) | 0x80);
    bytes.push(...group);
  };
  put(oid[0]! * 40 + oid[1]!);
  for (let i = 2; i < oid.length; i++) put(oid[i]!);
  return tlv(Tag.Oid, Buffer.from(bytes));
}

/** `1.3.6.1` → `[1, 3, 6, 1]`; throws on anything that is not a dotted list of numbers. */
export function parseOid(text: string): number[] {
  const parts = text.replace(/^\./, "").split(".").map(Number);
  if (parts.length < 2 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffffffff)) {
    throw new RangeError(`"${text}" is not a numeric OID`);
  }
  return parts;
}

/** Lexicographic order of OIDs by sub-identifier (the order GETNEXT walks). */
export function compareOid(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!;
  }
  return a.length - b.length;
}
