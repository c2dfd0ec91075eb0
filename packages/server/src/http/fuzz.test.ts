import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";

/** Deterministic PRNG so a failing case can be replayed from its index. */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const VALID = {
  mac_wan: "aa:bb:cc:dd:ee:01",
  serial: "a1b2c3d4",
  admin_password: "p1",
  services_password: "p2",
  status: "ready",
  build_time: "2025-09-29T12:45:23Z",
  build_duration_seconds: 847,
  test_results: { adguard: "pass" },
  stage: "x",
  timestamp: "2025-09-29T12:45:23Z",
  logs: { a: "b" },
  device_id: "d",
  unique_id: "u",
  board_type: "esp32",
  devices: [{ device_id: "d", unique_id: "u", board_type: "esp32" }],
};
const WEIRD: unknown[] = [
  null,
  true,
  -1,
  1e308,
  "",
  "💥",
  "\u0000",
  "x".repeat(5000),
  [],
  {},
  [[[[[]]]]],
  { __proto__: { a: 1 } },
  "aa:bb:cc:dd:ee:ff:00",
  "2025-13-45T99:99:99Z",
  Number.MAX_SAFE_INTEGER + 2,
];
const ROUTES: [string, string][] = [
  ["POST", "/api/heartbeat"],
  ["POST", "/api/units"],
  ["POST", "/api/debug-logs"],
  ["POST", "/api/admin/device-registrations"],
  ["POST", "/api/admin/provisioning/bulk"],
  ["GET", "/api/units"],
  ["GET", "/api/units/aa:bb:cc:dd:ee:01"],
  ["DELETE", "/api/units/aa:bb:cc:dd:ee:01"],
  ["POST", "/api/units/aa:bb:cc:dd:ee:01/label-prints"],
  ["GET", "/api/audit"],
  ["GET", "/api/metrics"],
  ["PUT", "/api/units"],
];

function mutate(rand: () => number): { body?: string; contentType?: string; query?: string } {
  const pick = <T>(a: readonly T[]) => a[Math.floor(rand() * a.length)]!;
  const kind = Math.floor(rand() * 8);
  const obj: Record<string, unknown> = { ...VALID };
  switch (kind) {
    case 0: // random bytes
      return {
        body: Array.from({ length: Math.floor(rand() * 300) }, () =>
          String.fromCharCode(Math.floor(rand() * 256)),
        ).join(""),
        contentType: "application/json",
      };
    case 1: {
      const text = JSON.stringify(obj);
      return { body: text.slice(0, Math.floor(rand() * text.length)), contentType: "application/json" };
    }
    case 2:
      for (const k of Object.keys(obj)) if (rand() < 0.4) obj[k] = pick(WEIRD);
      return { body: JSON.stringify(obj), contentType: "application/json" };
    case 3:
      return { body: JSON.stringify(pick(WEIRD)), contentType: "application/json" };
    case 4:
      return {
        body: JSON.stringify(obj),
        contentType: pick(["text/plain", "application/x-www-form-urlencoded", "", "application/jsonx"]),
      };
    case 5:
      for (const k of Object.keys(obj)) if (rand() < 0.5) delete obj[k];
      obj[pick(["status", "mac_wan", "failed_tests"])] = pick(["failed", "building", ["a", 1], { a: [] }]);
      return { body: JSON.stringify(obj), contentType: "application/json" };
    case 6:
      return {
        query: `?status=${encodeURIComponent(String(pick(WEIRD)))}&limit=${encodeURIComponent(String(pick(WEIRD)))}&since=${encodeURIComponent(String(pick(WEIRD)))}&mac=%zz`,
      };
    default: {
      let nested: unknown = 1;
      for (let i = 0; i < 2000; i++) nested = [nested];
      return { body: JSON.stringify({ ...obj, test_results: nested }), contentType: "application/json" };
    }
  }
}

describe("fuzz: thousands of malformed requests", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer({ rateLimitPerSecond: 0, authFailuresPerMinute: 1_000_000 });
  });
  afterAll(async () => {
    await s.stop();
  });

  it("never answers 5xx, always JSON errors, and keeps serving", async () => {
    const rand = prng(20250929);
    const total = 3000;
    const statuses = new Map<number, number>();
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const [method, route] = ROUTES[Math.floor(rand() * ROUTES.length)]!;
        const m = mutate(rand);
        const token = [undefined, TOKENS.unit, TOKENS.station, TOKENS.admin, "x".repeat(600)][
          Math.floor(rand() * 5)
        ];
        const headers: Record<string, string> = {};
        if (token) headers.authorization = `Bearer ${token}`;
        if (m.contentType !== undefined) headers["content-type"] = m.contentType;
        const res = await fetch(`${s.url}${route}${m.query ?? ""}`, {
          method,
          headers,
          ...(method !== "GET" && m.body !== undefined && { body: m.body }),
        });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500)
          failures.push(`#${i} ${method} ${route} → ${res.status} ${text.slice(0, 200)}`);
        else if (res.status >= 400) {
          try {
            const code = JSON.parse(text)?.error?.code;
            if (typeof code !== "string")
              failures.push(`#${i} ${res.status} without error code: ${text.slice(0, 100)}`);
          } catch {
            failures.push(`#${i} ${res.status} not JSON: ${text.slice(0, 100)}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(failures).toEqual([]);
    expect([...statuses.keys()].some((x) => x >= 400 && x < 500)).toBe(true);
    expect((await s.call("GET", "/healthz")).status).toBe(200);
    const ok = await s.call("POST", "/api/heartbeat", {
      token: "unit",
      body: { mac_wan: "aa:bb:cc:dd:ee:77", status: "building", timestamp: new Date().toISOString() },
    });
    expect(ok.status).toBe(200);
  }, 120_000);
});
