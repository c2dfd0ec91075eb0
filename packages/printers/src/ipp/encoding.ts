import { ErrorCodes } from "@factory/core";
import { printerError } from "../errors";

/** IPP delimiter and value tags (RFC 8010 §3.5). */
export const Tag = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  text: 0x41,
  name: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
} as const;

/** IPP operation ids. */
export const Operation = {
  printJob: 0x0002,
  validateJob: 0x0004,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getPrinterAttributes: 0x000b,
} as const;

export type IppValue = number | boolean | string | Uint8Array | IppCollection;
export interface IppCollection {
  [member: string]: IppValue[];
}

export interface IppAttribute {
  name: string;
  tag: number;
  values: IppValue[];
}

export interface IppGroup {
  tag: number;
  attributes: IppAttribute[];
}

/** A request (`code` = operation id) or a response (`code` = status code). */
export interface IppMessage {
  version?: [number, number];
  code: number;
  requestId: number;
  groups: IppGroup[];
  /** Bytes after end-of-attributes: the document of a Print-Job. */
  data?: Uint8Array;
}

const STRING_TAGS = new Set<number>([
  Tag.text,
  Tag.name,
  Tag.keyword,
  Tag.uri,
  Tag.uriScheme,
  Tag.charset,
  Tag.naturalLanguage,
  Tag.mimeMediaType,
  Tag.memberAttrName,
]);

function encodeValue(tag: number, value: IppValue): Buffer {
  if (tag === Tag.integer || tag === Tag.enum) {
    if (typeof value !== "number" || !Number.isInteger(value))
      throw new TypeError(`IPP integer expected, got ${String(value)}`);
    const b = Buffer.alloc(4);
    b.writeInt32BE(value);
    return b;
  }
  if (tag === Tag.boolean) return Buffer.from([value ? 1 : 0]);
  if (typeof value === "string") return Buffer.from(value, "utf8");
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw new TypeError(`IPP tag 0x${tag.toString(16)} cannot encode ${typeof value}`);
}

/** Encodes an IPP message (RFC 8010): version, code, request id, groups, end tag, then `data`. */
export function encodeIpp(message: IppMessage): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(8);
  const [major, minor] = message.version ?? [1, 1];
  head[0] = major;
  head[1] = minor;
  head.writeUInt16BE(message.code, 2);
  head.writeUInt32BE(message.requestId, 4);
  parts.push(head);
  for (const group of message.groups) {
    parts.push(Buffer.from([group.tag]));
    for (const attr of group.attributes) {
      attr.values.forEach((value, i) => {
        const name = Buffer.from(i === 0 ? attr.name : "", "utf8");
        const bytes = encodeValue(attr.tag, value);
        const entry = Buffer.alloc(5 + name.length + bytes.length);
        entry[0] = attr.tag;
        entry.writeUInt16BE(name.length, 1);
        name.copy(entry, 3);
        entry.writeUInt16BE(bytes.length, 3 + name.length);
        bytes.copy(entry, 5 + name.length);
        parts.push(entry);
      });
    }
  }
  parts.push(Buffer.from([Tag.end]));
  if (message.data) parts.push(Buffer.from(message.data));
  return Buffer.concat(parts);
}

class Reader {
  pos = 8;
  constructor(readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw printerError(ErrorCodes.PRINTER_REJECTED, "The spooler sent a truncated IPP message", {
        details: { at: this.pos, length: this.buf.length },
      });
    }
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  chunk(): Buffer {
    this.need(2);
    const n = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

function decodeValue(tag: number, bytes: Buffer): IppValue {
  if ((tag === Tag.integer || tag === Tag.enum) && bytes.length === 4) return bytes.readInt32BE(0);
  if (tag === Tag.boolean && bytes.length === 1) return bytes[0] !== 0;
  if (STRING_TAGS.has(tag)) return bytes.toString("utf8");
  if ((tag === Tag.textWithLanguage || tag === Tag.nameWithLanguage) && bytes.length >= 4) {
    const langLen = bytes.readUInt16BE(0);
    const textLen = bytes.readUInt16BE(2 + langLen);
    return bytes.subarray(4 + langLen, 4 + langLen + textLen).toString("utf8");
  }
  return new Uint8Array(bytes);
}

function readCollection(r: Reader, depth: number): IppCollection {
  if (depth > 8)
    throw printerError(ErrorCodes.PRINTER_REJECTED, "The spooler sent IPP collections nested too deep");
  const out: IppCollection = {};
  let member: string | undefined;
  for (;;) {
    const tag = r.u8();
    r.chunk(); // name: always empty inside a collection
    if (tag === Tag.endCollection) {
      r.chunk();
      return out;
    }
    if (tag === Tag.memberAttrName) {
      member = r.chunk().toString("utf8");
      out[member] = [];
      continue;
    }
    if (member === undefined)
      throw printerError(
        ErrorCodes.PRINTER_REJECTED,
        "The spooler sent an IPP collection value without a member name",
      );
    if (tag === Tag.begCollection) {
      r.chunk();
      out[member]!.push(readCollection(r, depth + 1));
    } else {
      out[member]!.push(decodeValue(tag, r.chunk()));
    }
  }
}

/** Decodes an IPP message; truncated or inconsistent bytes reject with `PRINTER_REJECTED`. */
export function decodeIpp(buf: Buffer): IppMessage {
  if (buf.length < 9)
    throw printerError(
      ErrorCodes.PRINTER_REJECTED,
      `The spooler sent ${buf.length} bytes, not an IPP message`,
    );
  const r = new Reader(buf);
  const message: IppMessage = {
    version: [buf[0]!, buf[1]!],
    code: buf.readUInt16BE(2),
    requestId: buf.readUInt32BE(4),
    groups: [],
  };
  let group: IppGroup | undefined;
  let last: IppAttribute | undefined;
  for (;;) {
    const tag = r.u8();
    if (tag === Tag.end) {
      message.data = new Uint8Array(buf.subarray(r.pos));
      return message;
    }
    if (tag < 0x10) {
      group = { tag, attributes: [] };
      message.groups.push(group);
      last = undefined;
      continue;
    }
    if (!group)
      throw printerError(ErrorCodes.PRINTER_REJECTED, "The spooler sent an IPP attribute outside any group");
    const name = r.chunk().toString("utf8");
    const raw = r.chunk();
    const value = tag === Tag.begCollection ? readCollection(r, 0) : decodeValue(tag, raw);
    if (name === "" && last) last.values.push(value);
    else {
      last = { name, tag, values: [value] };
      group.attributes.push(last);
    }
  }
}

/** The values of the first attribute named `name` in groups of `groupTag` (any group when omitted). */
export function attributeValues(
  message: IppMessage,
  name: string,
  groupTag?: number,
): IppValue[] | undefined {
  for (const g of message.groups) {
    if (groupTag !== undefined && g.tag !== groupTag) continue;
    const a = g.attributes.find((x) => x.name === name);
    if (a) return a.values;
  }
  return undefined;
}

/** The operation attributes every request starts with (charset, language, printer-uri). */
export function operationAttributes(printerUri: string, more: IppAttribute[] = []): IppGroup {
  return {
    tag: Tag.operation,
    attributes: [
      { name: "attributes-charset", tag: Tag.charset, values: ["utf-8"] },
      { name: "attributes-natural-language", tag: Tag.naturalLanguage, values: ["en"] },
      { name: "printer-uri", tag: Tag.uri, values: [printerUri] },
      ...more,
    ],
  };
}
