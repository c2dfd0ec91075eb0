import { requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMasterKey } from "./crypto/envelope";
import { startTestServer, type TestServer, TOKENS } from "./testing/harness";
import { type PgTestServer, postgresPeer, startPgServer } from "./testing/pg-server";

async function readEvents(
  url: string,
  until: (text: string) => boolean,
  signal: AbortSignal,
): Promise<string> {
  const res = await fetch(`${url}/api/events`, {
    headers: { authorization: `Bearer ${TOKENS.operator}` },
    signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

describe.runIf(requirePeer(postgresPeer))("two server instances on one PostgreSQL", () => {
  let pg: PgTestServer;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    pg = await startPgServer();
    const url = await pg.createDatabase("instances");
    const masterKey = parseMasterKey("22".repeat(32));
    [a, b] = await Promise.all([
      startTestServer({ database: { kind: "postgres", url }, masterKey }),
      startTestServer({ database: { kind: "postgres", url }, masterKey }),
    ]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await pg?.stop();
  });

  it("shows each other's events live (LISTEN/NOTIFY) and share one store", async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 20_000);
    const onB = readEvents(
      b.url,
      (t) => t.includes("aa:bb:cc:dd:ee:0a") && t.includes('"ready"'),
      controller.signal,
    );
    await new Promise((r) => setTimeout(r, 300));
    await a.call("POST", "/api/heartbeat", {
      token: "unit",
      body: {
        mac_wan: "AA-BB-CC-DD-EE-0A",
        status: "building",
        stage: "self_test",
        timestamp: new Date().toISOString(),
      },
    });
    await a.call("POST", "/api/units", {
      token: "unit",
      body: {
        mac_wan: "aa:bb:cc:dd:ee:0a",
        status: "ready",
        serial: "S",
        admin_password: "pw-a",
        services_password: "pw-s",
      },
    });
    const text = await onB;
    clearTimeout(timer);
    expect(text).toContain("event: unit");
    expect(text).toMatch(/"mac":"aa:bb:cc:dd:ee:0a","status":"building"/);
    expect(text).toMatch(/"mac":"aa:bb:cc:dd:ee:0a","status":"ready"/);
    expect(text).not.toContain("pw-a");
    const fromB = await b.call("GET", "/api/units/aa:bb:cc:dd:ee:0a", { token: "station" });
    expect(fromB.json).toMatchObject({ status: "ready", admin_password: "pw-a" });
    const retryOnB = await b.call("POST", "/api/units", {
      token: "unit",
      body: {
        mac_wan: "aa:bb:cc:dd:ee:0a",
        status: "ready",
        serial: "S",
        admin_password: "pw-a",
        services_password: "pw-s",
      },
    });
    expect(retryOnB.status).toBe(200);
    expect(retryOnB.json.created).toBe(false);
  }, 60_000);
});
