import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFileSender } from "./file-sender";

describe("file sender", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-send-"));
  const file = path.join(dir, "image.bin");
  const data = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(file, data);
  const send = createFileSender({ chunkBytes: 64 * 1024 });
  const outcomes: Promise<unknown>[] = [];
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      const start = Number(u.searchParams.get("start") ?? 0);
      const end = Number(u.searchParams.get("end") ?? data.length - 1);
      const announced = Number(u.searchParams.get("announce") ?? end - start + 1);
      res.writeHead(200, { "content-length": announced });
      const outcome = send(res, file, start, end).then(
        () => "done",
        (e: { code?: string; message: string }) => e.code ?? e.message,
      );
      outcomes.push(outcome);
      void outcome.then((o) => {
        if (o !== "done") res.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const openFds = () => readdirSync("/proc/self/fd").length;

  it("sends whole files and ranges byte for byte across chunk boundaries", async () => {
    const whole = Buffer.from(await (await fetch(`${base}/`)).arrayBuffer());
    expect(whole.equals(data)).toBe(true);
    for (const [start, end] of [
      [0, 0],
      [65_535, 65_537],
      [100_000, 1_300_000],
      [data.length - 5, data.length - 1],
    ] as const) {
      const part = Buffer.from(await (await fetch(`${base}/?start=${start}&end=${end}`)).arrayBuffer());
      expect(part.equals(data.subarray(start, end + 1))).toBe(true);
    }
  });

  it("stops reading and closes the file when the client goes away mid-download", async () => {
    const fdsBefore = openFds();
    const index = outcomes.length;
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${base}/`, (res) => {
          res.once("data", () => {
            res.destroy();
            resolve();
          });
        })
        .on("error", reject);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(["ERR_STREAM_PREMATURE_CLOSE", "ECONNRESET", "EPIPE"]).toContain(await outcomes[index]);
    const until = Date.now() + 5_000;
    while (openFds() > fdsBefore && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(openFds()).toBeLessThanOrEqual(fdsBefore);
  });

  it("fails (and the response is cut) when the file is shorter than the range", async () => {
    const index = outcomes.length;
    const res = await fetch(
      `${base}/?start=0&end=${data.length + 1000}&announce=${data.length + 1001}`,
    ).catch((e: Error) => e);
    if (!(res instanceof Error)) await res.arrayBuffer().catch(() => undefined);
    expect(await outcomes[index]).toMatch(/shorter than its announced size/);
  });
});
