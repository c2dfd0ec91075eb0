import { describe, expect, it } from "vitest";
import { children, decodeInteger, decodeOid, expectTlv, readTlv, Tag, type Tlv } from "./ber";
import { decodeRequest, ErrorStatus, encodeMessage, encodeVarBind, type SnmpVersion } from "./message";
import { MibStore } from "./mib-store";
import { respond } from "./responder";

const COMMUNITY = Buffer.from("public");
const LIMITS = { maxMessageSize: 65_507, maxBulkVarbinds: 2048 };

/** A small MIB: a scalar, a two-column table of three rows, and a Counter64. */
function mib(): MibStore {
  const m = new MibStore();
  m.defineObject([1, 3, 6, 1, 2, 1, 1, 5]);
  m.defineObject([1, 3, 6, 1, 2, 1, 2, 2, 1, 1]);
  m.defineObject([1, 3, 6, 1, 2, 1, 2, 2, 1, 8]);
  m.set([1, 3, 6, 1, 2, 1, 1, 5, 0], { type: Tag.OctetString, value: Buffer.from("sw") });
  for (const i of [2, 10, 1]) {
    m.set([1, 3, 6, 1, 2, 1, 2, 2, 1, 1, i], { type: Tag.Integer, value: i });
    m.set([1, 3, 6, 1, 2, 1, 2, 2, 1, 8, i], { type: Tag.Integer, value: i === 2 ? 1 : 2 });
  }
  m.set([1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1], { type: Tag.Counter64, value: 5n });
  return m;
}

function request(version: SnmpVersion, pduType: number, oids: string[], f1 = 0, f2 = 0): Buffer {
  const vbs = oids.map((o) => encodeVarBind({ oid: o.split(".").map(Number), value: { type: Tag.Null } }));
  return encodeMessage(version, COMMUNITY, pduType, [4242, f1, f2], vbs);
}

interface Decoded {
  version: number;
  requestId: number;
  errorStatus: number;
  errorIndex: number;
  varbinds: Array<{ oid: string; tag: number; value: number | string | null }>;
}

/** Decodes a Response-PDU message for assertions. */
function decodeResponse(buf: Buffer): Decoded {
  const msg = expectTlv(buf, 0, Tag.Sequence, "message");
  const [v, , pdu] = children(msg.content) as [Tlv, Tlv, Tlv];
  expect(pdu.tag).toBe(Tag.Response);
  const [id, st, ix, list] = children(pdu.content) as [Tlv, Tlv, Tlv, Tlv];
  return {
    version: decodeInteger(v.content),
    requestId: decodeInteger(id.content),
    errorStatus: decodeInteger(st.content),
    errorIndex: decodeInteger(ix.content),
    varbinds: children(list.content).map((vb) => {
      const name = readTlv(vb.content, 0);
      const value = readTlv(vb.content, name.end);
      const v2 =
        value.tag === Tag.Integer
          ? decodeInteger(value.content)
          : value.tag === Tag.OctetString
            ? value.content.toString()
            : value.content.length > 0
              ? value.content.readUIntBE(0, Math.min(value.content.length, 6))
              : null;
      return { oid: decodeOid(name.content).join("."), tag: value.tag, value: v2 };
    }),
  };
}

const answer = (buf: Buffer, m = mib(), limits = LIMITS): Decoded => {
  const out = respond(decodeRequest(buf), m, limits);
  if (!out) throw new Error("no answer");
  const decoded = decodeResponse(out.message);
  expect(out.varbinds).toBe(decoded.varbinds.length);
  return decoded;
};
const IF = "1.3.6.1.2.1.2.2.1";

describe("SNMP responder", () => {
  it("GET answers values, noSuchInstance under a known column and noSuchObject elsewhere (v2c)", () => {
    const r = answer(
      request(1, Tag.GetRequest, ["1.3.6.1.2.1.1.5.0", `${IF}.8.10`, `${IF}.8.99`, "1.3.6.1.9.9"]),
    );
    expect(r).toMatchObject({ version: 1, requestId: 4242, errorStatus: 0, errorIndex: 0 });
    expect(r.varbinds.map((v) => [v.tag, v.value])).toEqual([
      [Tag.OctetString, "sw"],
      [Tag.Integer, 2],
      [Tag.NoSuchInstance, null],
      [Tag.NoSuchObject, null],
    ]);
  });

  it("GET on v1 says noSuchName with the index of the first missing OID", () => {
    const r = answer(request(0, Tag.GetRequest, ["1.3.6.1.2.1.1.5.0", `${IF}.8.99`]));
    expect(r).toMatchObject({ version: 0, errorStatus: ErrorStatus.noSuchName, errorIndex: 2 });
    expect(r.varbinds.map((v) => v.oid)).toEqual(["1.3.6.1.2.1.1.5.0", `${IF}.8.99`]);
  });

  it("GETNEXT walks in numeric order (2 before 10) and ends with endOfMibView", () => {
    const r = answer(
      request(1, Tag.GetNextRequest, [`${IF}.1`, `${IF}.1.2`, `${IF}.8.10`, "1.3.6.1.2.1.31.1.1.1.6.1"]),
    );
    expect(r.varbinds.map((v) => v.oid)).toEqual([
      `${IF}.1.1`,
      `${IF}.1.10`,
      "1.3.6.1.2.1.31.1.1.1.6.1",
      "1.3.6.1.2.1.31.1.1.1.6.1",
    ]);
    expect(r.varbinds[3]!.tag).toBe(Tag.EndOfMibView);
  });

  it("GETNEXT on v1 skips Counter64 and ends with noSuchName", () => {
    const r = answer(request(0, Tag.GetNextRequest, [`${IF}.8.10`]));
    expect(r).toMatchObject({ errorStatus: ErrorStatus.noSuchName, errorIndex: 1 });
  });

  it("GETBULK gives non-repeaters once, then rows of the repeaters, and stops when all are at the end", () => {
    const r = answer(request(1, Tag.GetBulkRequest, ["1.3.6.1.2.1.1", `${IF}.1`, `${IF}.8`], 1, 3));
    expect(r.varbinds.map((v) => v.oid)).toEqual([
      "1.3.6.1.2.1.1.5.0",
      `${IF}.1.1`,
      `${IF}.8.1`,
      `${IF}.1.2`,
      `${IF}.8.2`,
      `${IF}.1.10`,
      `${IF}.8.10`,
    ]);
    const end = answer(request(1, Tag.GetBulkRequest, ["1.3.6.1.2.1.31.1.1.1.6.1"], 0, 50));
    expect(end.varbinds).toHaveLength(1); // one endOfMibView, not fifty
    expect(end.varbinds[0]!.tag).toBe(Tag.EndOfMibView);
  });

  it("GETBULK is cut to the message size and the varbind cap, never errors for it", () => {
    const small = answer(request(1, Tag.GetBulkRequest, ["1.3"], 0, 2_000_000_000), mib(), {
      maxMessageSize: 100,
      maxBulkVarbinds: 2048,
    });
    expect(small.errorStatus).toBe(0);
    expect(small.varbinds.length).toBeGreaterThan(0);
    expect(small.varbinds.length).toBeLessThan(8);
    const none = answer(request(1, Tag.GetBulkRequest, ["1.3"], 0, 5), mib(), {
      maxMessageSize: 50,
      maxBulkVarbinds: 10,
    });
    expect(none).toMatchObject({ errorStatus: ErrorStatus.tooBig, varbinds: [] }); // not even one row fits
    const capped = answer(request(1, Tag.GetBulkRequest, ["1.3"], 0, 1000), mib(), {
      ...LIMITS,
      maxBulkVarbinds: 3,
    });
    expect(capped.varbinds).toHaveLength(3);
  });

  it("answers tooBig when a GET response would not fit, and for too many varbinds", () => {
    const oids = Array.from({ length: 20 }, () => "1.3.6.1.2.1.1.5.0");
    const r = answer(request(1, Tag.GetRequest, oids), mib(), { maxMessageSize: 120, maxBulkVarbinds: 10 });
    expect(r).toMatchObject({ errorStatus: ErrorStatus.tooBig, varbinds: [] });
    const many = answer(
      request(
        1,
        Tag.GetRequest,
        Array.from({ length: 1001 }, () => "1.3.6.1"),
      ),
    );
    expect(many.errorStatus).toBe(ErrorStatus.tooBig);
  });

  it("refuses SET (read-only community) and drops GETBULK on v1 and non-request PDUs", () => {
    const set = answer(request(1, Tag.SetRequest, ["1.3.6.1.2.1.1.5.0"]));
    expect(set).toMatchObject({ errorStatus: ErrorStatus.noAccess, errorIndex: 1 });
    expect(answer(request(0, Tag.SetRequest, ["1.3.6.1.2.1.1.5.0"])).errorStatus).toBe(
      ErrorStatus.noSuchName,
    );
    expect(
      respond(decodeRequest(request(0, Tag.GetBulkRequest, ["1.3"], 0, 5)), mib(), LIMITS),
    ).toBeUndefined();
    expect(respond(decodeRequest(request(1, Tag.Response, ["1.3"])), mib(), LIMITS)).toBeUndefined();
    expect(respond(decodeRequest(request(1, Tag.TrapV2, ["1.3"])), mib(), LIMITS)).toBeUndefined();
  });
});
