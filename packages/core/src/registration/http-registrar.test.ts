import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RegistrationRequest } from "../contracts/records";
import { DurableQueue } from "./durable-queue";
import { createHttpRegistrar } from "./http-registrar";

/** A registration service on loopback that keeps registrations by device ID, like the server does. */
function service() {
  const seen = new Map<string, string>();
  const requests: { auth?: string; body: Record<string, string> }[] = [];
  let mode: "up" | "down" | "slow" | "bad" = "up";
  const server: Server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      if (mode === "slow") return; // never answers
      if (mode === "down") {
        res.writeHead(503, { "content-type": "application/json" });
        return res.end(JSON.stringify({ error: { code: "UNAVAILABLE", message: "database restarting" } }));
      }
      if (req.headers.authorization !== "Bearer station-token") {
        res.writeHead(401, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({ error: { code: "UNAUTHORIZED", message: "missing or wrong token" } }),
        );
      }
      const body = JSON.parse(text) as Record<string, string>;
      requests.push({ auth: req.headers.authorization, body });
      if (mode === "bad") {
        res.writeHead(400, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({ error: { code: "INVALID_ARGUMENT", message: "board_type: required" } }),
        );
      }
      const previous = seen.get(body.device_id!);
      if (previous !== undefined && previous !== text) {
        res.writeHead(409);
        return res.end("{}");
      }
      seen.set(body.device_id!, text);
      res.writeHead(previous === undefined ? 201 : 200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  return {
    server,
    seen,
    requests,
    setMode: (m: typeof mode) => {
      mode = m;
    },
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
}

const request = (n: number): RegistrationRequest => ({
  deviceId: `esp32-24a16000000${n}`,
  uniqueId: `24a16000000${n}`,
  mac: `24:a1:60:00:00:0${n}`,
  boardType: "esp32",
  stationId: "station_1",
  batchId: "b1",
  deviceSecret: `secret-${n}`,
  provisioningToken: `pt_${"a".repeat(31)}${n}`,
});

let svc: ReturnType<typeof service>;
let dir: string;
beforeEach(async () => {
  svc = service();
  await new Promise<void>((r) => svc.server.listen(0, "127.0.0.1", r));
  dir = mkdtempSync(path.join(tmpdir(), "factory-registrar-"));
});
afterEach(async () => {
  svc.server.closeAllConnections();
  await new Promise((r) => svc.server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("http registrar", () => {
  it("registers with the seed's API and is idempotent by device ID", async () => {
    const registrar = createHttpRegistrar({ url: svc.url(), token: "station-token" });
    expect(await registrar.register(request(1))).toEqual({ deviceId: "esp32-24a160000001", created: true });
    expect(await registrar.register(request(1))).toEqual({ deviceId: "esp32-24a160000001", created: false });
    expect(svc.seen.size).toBe(1);
    expect(svc.requests[0]!.body).toEqual({
      device_id: "esp32-24a160000001",
      unique_id: "24a160000001",
      mac: "24:a1:60:00:00:01",
      board_type: "esp32",
      station_id: "station_1",
      batch_id: "b1",
      device_secret: "secret-1",
      provisioning_token: request(1).provisioningToken,
    });
  });

  it("maps answers to coded errors", async () => {
    const registrar = createHttpRegistrar({ url: svc.url(), token: "station-token" });
    await registrar.register(request(1));
    await expect(registrar.register({ ...request(1), boardType: "esp8266" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    svc.setMode("bad");
    const bad = await registrar.register(request(2)).catch((e) => e);
    expect(bad).toMatchObject({ code: "INVALID_ARGUMENT", retryable: false });
    expect(bad.message).toContain("board_type: required");
    svc.setMode("down");
    await expect(registrar.register(request(3))).rejects.toMatchObject({
      code: "REGISTRATION_FAILED",
      retryable: true,
    });
    const noToken = createHttpRegistrar({ url: svc.url() });
    svc.setMode("up");
    await expect(noToken.register(request(4))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("is bounded in time when the service hangs", async () => {
    svc.setMode("slow");
    const registrar = createHttpRegistrar({ url: svc.url(), token: "station-token", timeoutMs: 100 });
    await expect(registrar.register(request(1))).rejects.toMatchObject({ code: "TIMEOUT" });
  });

  it("queues while the service is down and delivers later, once each", async () => {
    const queueFile = path.join(dir, "queue", "registrations.jsonl");
    const registrar = createHttpRegistrar({
      url: svc.url(),
      token: "station-token",
      queueFile,
      timeoutMs: 200,
    });
    svc.setMode("down");
    expect(await registrar.register(request(1))).toMatchObject({ queued: true });
    expect(await registrar.register(request(2))).toMatchObject({ queued: true });
    expect(registrar.pending()).toBe(2);
    expect(statSync(queueFile).mode & 0o777).toBe(0o600);
    expect(await registrar.flush()).toEqual({ delivered: 0, pending: 2 });
    svc.setMode("up");
    // A new process (after a restart) picks the queue up from the file.
    const restarted = createHttpRegistrar({ url: svc.url(), token: "station-token", queueFile });
    expect(await restarted.flush()).toEqual({ delivered: 2, pending: 0 });
    expect([...svc.seen.keys()]).toEqual(["esp32-24a160000001", "esp32-24a160000002"]);
    expect(await restarted.flush()).toEqual({ delivered: 0, pending: 0 });
    expect(() => statSync(queueFile)).toThrow(); // delivered secrets do not stay on disk
  });

  it("drops a torn final line left by a crash mid-append", () => {
    const file = path.join(dir, "q.jsonl");
    const queue = new DurableQueue<{ n: number }>(file);
    queue.append({ n: 1 });
    writeFileSync(file, `${readFileSync(file, "utf8")}{"n":`, { flag: "w" });
    expect(queue.read()).toEqual([{ n: 1 }]);
    // The next append first cuts the torn tail away, so the new entry stands on a line of its own.
    queue.append({ n: 2 });
    expect(queue.read()).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
