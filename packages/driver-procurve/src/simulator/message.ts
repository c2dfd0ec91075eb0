/**
 * SNMPv1/v2c messages (RFC 1157, RFC 3416): decoding of requests, encoding of responses and
 * traps. Only what an agent needs: request values are skipped, never interpreted.
 */
import {
  BerError,
  children,
  constructed,
  decodeInteger,
  decodeOid,
  encodeInteger,
  encodeOid,
  encodeUnsigned,
  expectTlv,
  readTlv,
  Tag,
  type Tlv,
  tlv,
} from "./ber";

/** Message version field: 0 = SNMPv1, 1 = SNMPv2c. */
export type SnmpVersion = 0 | 1;

/** A value as stored in the simulated MIB and put on the wire. */
export type SnmpValue =
  | { type: typeof Tag.Integer; value: number }
  | { type: typeof Tag.OctetString; value: Buffer }
  | { type: typeof Tag.Oid; value: readonly number[] }
  | { type: typeof Tag.IpAddress; value: readonly number[] }
  | {
      type: typeof Tag.Counter32 | typeof Tag.Gauge32 | typeof Tag.TimeTicks | typeof Tag.Counter64;
      value: number | bigint;
    }
  | { type: typeof Tag.Null | typeof Tag.NoSuchObject | typeof Tag.NoSuchInstance | typeof Tag.EndOfMibView };

export interface VarBind {
  oid: readonly number[];
  value: SnmpValue;
}

/** A decoded request. `nonRepeaters` / `maxRepetitions` are the error fields of non-bulk PDUs. */
export interface SnmpRequest {
  version: SnmpVersion;
  community: Buffer;
  pduType: number;
  requestId: number;
  nonRepeaters: number;
  maxRepetitions: number;
  oids: number[][];
}

/** Error statuses (RFC 3416 §3). */
export const ErrorStatus = {
  noError: 0,
  tooBig: 1,
  noSuchName: 2,
  readOnly: 4,
  genErr: 5,
  noAccess: 6,
} as const;

/** Most varbinds a request may carry; more is answered with tooBig (bounds the work per datagram). */
export const MAX_REQUEST_VARBINDS = 1000;

/**
 * Decodes an SNMP message. Throws {@link BerError} for anything that is not a well-formed v1/v2c
 * message (v3 included: this agent speaks community-based SNMP only).
 */
export function decodeRequest(buf: Buffer): SnmpRequest {
  const message = expectTlv(buf, 0, Tag.Sequence, "message");
  if (message.end !== buf.length) throw new BerError("trailing bytes after the message");
  const [v, c, pdu] = exactly(message.content, 3, "message") as [Tlv, Tlv, Tlv];
  if (v.tag !== Tag.Integer) throw new BerError("version is not an INTEGER");
  const version = decodeInteger(v.content);
  if (version !== 0 && version !== 1) throw new BerError(`unsupported SNMP version ${version}`);
  if (c.tag !== Tag.OctetString) throw new BerError("community is not an OCTET STRING");
  if (pdu.tag < Tag.GetRequest || pdu.tag > Tag.Report) throw new BerError("not an SNMP PDU");
  const [id, f1, f2, list] = exactly(pdu.content, 4, "PDU") as [Tlv, Tlv, Tlv, Tlv];
  for (const f of [id, f1, f2]) if (f.tag !== Tag.Integer) throw new BerError("PDU header is not INTEGERs");
  if (list.tag !== Tag.Sequence) throw new BerError("varbind list is not a SEQUENCE");
  const oids: number[][] = [];
  for (const vb of children(list.content)) {
    if (vb.tag !== Tag.Sequence) throw new BerError("varbind is not a SEQUENCE");
    const name = expectTlv(vb.content, 0, Tag.Oid, "varbind name");
    const value = readTlv(vb.content, name.end);
    if (value.end !== vb.content.length) throw new BerError("varbind has trailing bytes");
    oids.push(decodeOid(name.content));
  }
  return {
    version,
    community: Buffer.from(c.content),
    pduType: pdu.tag,
    requestId: decodeInteger(id.content),
    nonRepeaters: decodeInteger(f1.content),
    maxRepetitions: decodeInteger(f2.content),
    oids,
  };
}

function exactly(content: Buffer, n: number, what: string): Tlv[] {
  const list = children(content, n);
  if (list.length !== n) throw new BerError(`${what} has ${list.length} parts, not ${n}`);
  return list;
}

/** One varbind on the wire. */
export function encodeVarBind(vb: VarBind): Buffer {
  return constructed(Tag.Sequence, [encodeOid(vb.oid), encodeValue(vb.value)]);
}

/** A value on the wire. */
export function encodeValue(v: SnmpValue): Buffer {
  switch (v.type) {
    case Tag.Integer:
      return encodeInteger(v.value);
    case Tag.OctetString:
      return tlv(Tag.OctetString, v.value);
    case Tag.Oid:
      return encodeOid(v.value);
    case Tag.IpAddress:
      return tlv(Tag.IpAddress, Buffer.from(v.value));
    case Tag.Counter32:
    case Tag.Gauge32:
    case Tag.TimeTicks:
    case Tag.Counter64:
      return encodeUnsigned(v.value, v.type);
    default:
      return Buffer.from([v.type, 0]);
  }
}

/** A whole message around an already encoded varbind list. */
export function encodeMessage(
  version: SnmpVersion,
  community: Buffer,
  pduType: number,
  header: readonly [requestId: number, errorStatus: number, errorIndex: number],
  varbinds: readonly Buffer[],
): Buffer {
  const pdu = constructed(pduType, [
    encodeInteger(header[0]),
    encodeInteger(header[1]),
    encodeInteger(header[2]),
    constructed(Tag.Sequence, varbinds),
  ]);
  return constructed(Tag.Sequence, [encodeInteger(version), tlv(Tag.OctetString, community), pdu]);
}

/** An SNMPv1 Trap-PDU message (RFC 1157 §4.1.6). */
export function encodeV1Trap(
  community: Buffer,
  trap: {
    enterprise: readonly number[];
    agentAddress: readonly number[];
    generic: number;
    specific: number;
    timestamp: number;
    varbinds: readonly VarBind[];
  },
): Buffer {
  const pdu = constructed(Tag.TrapV1, [
    encodeOid(trap.enterprise),
    tlv(Tag.IpAddress, Buffer.from(trap.agentAddress)),
    encodeInteger(trap.generic),
    encodeInteger(trap.specific),
    encodeUnsigned(trap.timestamp, Tag.TimeTicks),
    constructed(Tag.Sequence, trap.varbinds.map(encodeVarBind)),
  ]);
  return constructed(Tag.Sequence, [encodeInteger(0), tlv(Tag.OctetString, community), pdu]);
}
