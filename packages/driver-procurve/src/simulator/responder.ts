import { Tag } from "./ber";
import { ErrorStatus, encodeMessage, encodeVarBind, MAX_REQUEST_VARBINDS, type SnmpRequest } from "./message";
import type { FoundInstance, MibStore } from "./mib-store";

export interface ResponderLimits {
  /** Largest response message, bytes; bigger answers become tooBig, GETBULK is cut short. */
  maxMessageSize: number;
  /** Most varbinds in one GETBULK response, whatever max-repetitions asks. */
  maxBulkVarbinds: number;
}

/** A response ready for the wire, and how many varbinds it carries (counted by the agent). */
export interface SnmpResponse {
  message: Buffer;
  varbinds: number;
}

/** Size of everything around the varbinds, over-estimated (version, community, PDU header). */
const overhead = (community: Buffer): number => community.length + 40;

/**
 * Answers one authenticated request from the MIB: GET, GETNEXT, GETBULK (v2c) and a refused
 * SET. Returns the response message, or undefined when the PDU is not answered (GETBULK on v1,
 * responses, traps, reports).
 */
export function respond(req: SnmpRequest, mib: MibStore, limits: ResponderLimits): SnmpResponse | undefined {
  const v1 = req.version === 0;
  const answer = (status: number, index: number, varbinds: Buffer[]): SnmpResponse => ({
    message: encodeMessage(
      req.version,
      req.community,
      Tag.Response,
      [req.requestId, status, index],
      varbinds,
    ),
    varbinds: varbinds.length,
  });
  const echo = (): Buffer[] => req.oids.map((oid) => encodeVarBind({ oid, value: { type: Tag.Null } }));
  const sized = (varbinds: Buffer[]): SnmpResponse => {
    const msg = answer(ErrorStatus.noError, 0, varbinds);
    return msg.message.length <= limits.maxMessageSize
      ? msg
      : answer(ErrorStatus.tooBig, 0, v1 ? echo() : []);
  };
  if (req.oids.length > MAX_REQUEST_VARBINDS) return answer(ErrorStatus.tooBig, 0, []);

  switch (req.pduType) {
    case Tag.GetRequest: {
      const out: Buffer[] = [];
      for (const [i, oid] of req.oids.entries()) {
        const got = mib.get(oid);
        if (typeof got === "string" || (v1 && got.type === Tag.Counter64)) {
          if (v1) return answer(ErrorStatus.noSuchName, i + 1, echo());
          const type = got === "noSuchObject" ? Tag.NoSuchObject : Tag.NoSuchInstance;
          out.push(encodeVarBind({ oid, value: { type } }));
        } else {
          out.push(encodeVarBind({ oid, value: got }));
        }
      }
      return sized(out);
    }
    case Tag.GetNextRequest: {
      const out: Buffer[] = [];
      for (const [i, oid] of req.oids.entries()) {
        const next = nextFor(mib, oid, v1);
        if (!next) {
          if (v1) return answer(ErrorStatus.noSuchName, i + 1, echo());
          out.push(encodeVarBind({ oid, value: { type: Tag.EndOfMibView } }));
        } else {
          out.push(next.wire);
        }
      }
      return sized(out);
    }
    case Tag.GetBulkRequest: {
      if (v1) return undefined; // not an SNMPv1 PDU: real agents drop it
      return bulk(req, mib, limits, answer);
    }
    case Tag.SetRequest:
      // A read-only community: RFC 3416 noAccess, which RFC 2576 maps to noSuchName for v1.
      return answer(v1 ? ErrorStatus.noSuchName : ErrorStatus.noAccess, 1, echo());
    default:
      return undefined;
  }
}

function nextFor(mib: MibStore, oid: readonly number[], v1: boolean): FoundInstance | undefined {
  let cursor = oid;
  for (;;) {
    const next = mib.next(cursor);
    if (!next || !(v1 && next.value.type === Tag.Counter64)) return next;
    cursor = next.oid; // SNMPv1 cannot carry Counter64: skip it (RFC 2576 §4.1.2.1)
  }
}

/** GETBULK (RFC 3416 §4.2.3): non-repeaters once, then up to max-repetitions rows of the rest. */
function bulk(
  req: SnmpRequest,
  mib: MibStore,
  limits: ResponderLimits,
  answer: (status: number, index: number, varbinds: Buffer[]) => SnmpResponse,
): SnmpResponse {
  const n = Math.min(Math.max(req.nonRepeaters, 0), req.oids.length);
  const m = Math.max(req.maxRepetitions, 0);
  const out: Buffer[] = [];
  let size = overhead(req.community);
  const push = (vb: Buffer): boolean => {
    if (size + vb.length > limits.maxMessageSize || out.length >= limits.maxBulkVarbinds) return false;
    out.push(vb);
    size += vb.length;
    return true;
  };
  const endOf = (oid: readonly number[]): Buffer => encodeVarBind({ oid, value: { type: Tag.EndOfMibView } });
  for (let i = 0; i < n; i++) {
    const oid = req.oids[i]!;
    const next = mib.next(oid);
    if (!push(next ? next.wire : endOf(oid))) return answer(ErrorStatus.tooBig, 0, []);
  }
  const cursors: Array<readonly number[]> = req.oids.slice(n);
  if (cursors.length === 0) return answer(ErrorStatus.noError, 0, out);
  for (let rep = 0; rep < m; rep++) {
    let live = false;
    for (let j = 0; j < cursors.length; j++) {
      const next = mib.next(cursors[j]!);
      const vb = next ? next.wire : endOf(cursors[j]!);
      if (!push(vb))
        return out.length > 0 ? answer(ErrorStatus.noError, 0, out) : answer(ErrorStatus.tooBig, 0, []);
      if (next) {
        cursors[j] = next.oid;
        live = true;
      }
    }
    if (!live) break; // every repeater is at the end of the MIB: more rows would repeat that
  }
  return answer(ErrorStatus.noError, 0, out);
}
