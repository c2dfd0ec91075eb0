import { createSocket, type Socket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SnmpClient } from "../snmp/client";
import { Tag } from "./ber";
import { encodeMessage, encodeVarBind } from "./message";
import { type ProcurveSimulator, startProcurveSimulator } from "./simulator";

const SYS_DESCR = [1, 3, 6, 1, 2, 1, 1, 1, 0];

function get(community: string, requestId: number): Buffer {
  return encodeMessage(
    1,
    Buffer.from(community),
    Tag.GetRequest,
    [requestId, 0, 0],
    [encodeVarBind({ oid: SYS_DESCR, value: { type: Tag.Null } })],
  );
}

describe("simulator agent on UDP: bad input and wrong communities", () => {
  let sim: ProcurveSimulator;
  let socket: Socket;
  const received: Buffer[] = [];

  beforeAll(async () => {
    sim = await startProcurveSimulator({ community: "right-one" });
    socket = createSocket("udp4");
    socket.on("message", (m) => received.push(m));
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
  });
  afterAll(async () => {
    socket?.close();
    await sim?.close();
  });

  const send = (buf: Buffer): Promise<void> =>
    new Promise((resolve, reject) =>
      socket.send(buf, sim.port, sim.host, (e) => (e ? reject(e) : resolve())),
    );
  /** Sends a good GET afterwards and waits for its answer: all earlier datagrams were handled by then. */
  const probe = async (requestId: number): Promise<Buffer> => {
    await send(get("right-one", requestId));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const hit = received.find((m) => m.includes(Buffer.from(`ProCurve`)) && m.readUInt8(0) === 0x30);
      if (hit) {
        received.splice(received.indexOf(hit), 1);
        return hit;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error("the simulator stopped answering");
  };

  it("survives junk datagrams and keeps answering", async () => {
    const before = sim.stats.malformed;
    const junk = [
      Buffer.alloc(0),
      Buffer.from("hello, switch"),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), // length far past the datagram
      Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]), // indefinite length
      get("right-one", 1).subarray(0, 20), // truncated
      Buffer.concat([get("right-one", 2), Buffer.from([0])]), // trailing byte
      ...Array.from({ length: 50 }, (_, i) =>
        Buffer.from(Array.from({ length: 1 + i * 13 }, (_, k) => (k * 97 + i) & 0xff)),
      ),
      Buffer.alloc(60_000, 0x30), // large, nested-looking datagram
    ];
    for (const j of junk) await send(j);
    const answer = await probe(77);
    expect(answer.includes(Buffer.from("2810-24G"))).toBe(true);
    expect(sim.stats.malformed - before).toBeGreaterThanOrEqual(junk.length - 1);
  });

  it("does not answer a wrong community, and counts it", async () => {
    const before = sim.stats.badCommunity;
    received.length = 0;
    await send(get("public", 5));
    await send(get("right-onf", 6));
    await probe(78);
    expect(received).toHaveLength(0); // only the probe was answered
    expect(sim.stats.badCommunity - before).toBe(2);
    const wrong = new SnmpClient({
      host: sim.host,
      port: sim.port,
      community: "public",
      timeoutMs: 300,
      retries: 0,
    });
    await expect(wrong.get(["1.3.6.1.2.1.1.1.0"])).rejects.toMatchObject({ code: "SWITCH_UNREACHABLE" });
    wrong.close();
    // SNMPv3 is not spoken: its discovery request is dropped like any foreign datagram.
    const v3 = new SnmpClient({
      host: sim.host,
      port: sim.port,
      version: "3",
      user: { name: "factory" },
      timeoutMs: 300,
      retries: 0,
    });
    const malformed = sim.stats.malformed;
    await expect(v3.get(["1.3.6.1.2.1.1.1.0"])).rejects.toMatchObject({ code: "SWITCH_UNREACHABLE" });
    expect(sim.stats.malformed).toBe(malformed + 1);
    v3.close();
  });

  it("answers SNMPv1 as well as v2c", async () => {
    const v1 = new SnmpClient({ host: sim.host, port: sim.port, community: "right-one", version: "1" });
    try {
      const got = await v1.get(["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0"]);
      expect(String(got.get("1.3.6.1.2.1.1.5.0"))).toBe("ProCurve Switch 2810-24G");
      expect(got.get("1.3.6.1.2.1.1.2.0")).toBe("1.3.6.1.4.1.11.2.3.7.11.63");
      const [names = []] = await v1.walkColumns(["1.3.6.1.2.1.31.1.1.1.1"]);
      expect(names.map((r) => String(r.value))).toEqual([
        ...Array.from({ length: 24 }, (_, i) => String(i + 1)),
        "DEFAULT_VLAN",
      ]);
    } finally {
      v1.close();
    }
  });
});
