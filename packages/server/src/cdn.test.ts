import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRange } from "./cdn";
import { startTestServer, type TestServer } from "./testing/harness";

describe("asset CDN on a real server", () => {
  let s: TestServer;
  let root: string;
  const image = randomBytes(8 * 1024 * 1024 + 123);
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "factory-cdn-"));
    mkdirSync(path.join(root, "images"));
    writeFileSync(path.join(root, "images", "debian-13-genericcloud-amd64.qcow2"), image);
    writeFileSync(path.join(root, "empty.txt"), "");
    writeFileSync(path.join(root, ".hidden"), "secret");
    s = await startTestServer({ cdnRoot: root });
  });
  afterAll(async () => {
    await s.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const url = (p: string) => `${s.url}/cdn/${p}`;
  const file = "images/debian-13-genericcloud-amd64.qcow2";

  it("serves the whole file with length and a strong ETag", async () => {
    const res = await fetch(url(file));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(image.length));
    expect(res.headers.get("accept-ranges")).toBe("bytes");
    expect(res.headers.get("etag")).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Buffer.from(await res.arrayBuffer()).equals(image)).toBe(true);
  });

  it("answers Range requests with 206 and exact bytes, and 416 outside the file", async () => {
    const mid = await fetch(url(file), { headers: { range: "bytes=1000-1999" } });
    expect(mid.status).toBe(206);
    expect(mid.headers.get("content-range")).toBe(`bytes 1000-1999/${image.length}`);
    expect(Buffer.from(await mid.arrayBuffer()).equals(image.subarray(1000, 2000))).toBe(true);
    const tail = await fetch(url(file), { headers: { range: "bytes=-500" } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(image.subarray(image.length - 500))).toBe(true);
    const open = await fetch(url(file), { headers: { range: `bytes=${image.length - 10}-` } });
    expect((await open.arrayBuffer()).byteLength).toBe(10);
    const bad = await fetch(url(file), { headers: { range: `bytes=${image.length}-` } });
    expect(bad.status).toBe(416);
    expect(bad.headers.get("content-range")).toBe(`bytes */${image.length}`);
    await bad.arrayBuffer();
  });

  it("honours If-None-Match and If-Range", async () => {
    const head = await fetch(url(file), { method: "HEAD" });
    const etag = head.headers.get("etag")!;
    expect(head.status).toBe(200);
    const cached = await fetch(url(file), { headers: { "if-none-match": etag } });
    expect(cached.status).toBe(304);
    const stale = await fetch(url(file), { headers: { range: "bytes=0-9", "if-range": '"other"' } });
    expect(stale.status).toBe(200);
    await stale.body?.cancel();
    const fresh = await fetch(url(file), { headers: { range: "bytes=0-9", "if-range": etag } });
    expect(fresh.status).toBe(206);
    await fresh.arrayBuffer();
  });

  it("lists every asset with its sha256 in the manifest", async () => {
    const res = await fetch(url("manifest.json"));
    const manifest = (await res.json()) as { files: { path: string; size: number; sha256: string }[] };
    expect(manifest.files.map((f) => f.path)).toEqual(["empty.txt", file]);
    const entry = manifest.files.find((f) => f.path === file)!;
    expect(entry.size).toBe(image.length);
    expect(entry.sha256).toBe(createHash("sha256").update(image).digest("hex"));
  });

  it("refuses paths outside the root, hidden files and other methods", async () => {
    for (const p of [
      "../../etc/passwd",
      "..%2f..%2fetc%2fpasswd",
      ".hidden",
      "images/../../x",
      "nope.bin",
      "%zz",
    ]) {
      const res = await fetch(url(p));
      expect([400, 404], p).toContain(res.status);
      expect(await res.text()).not.toContain("root:");
    }
    expect((await fetch(url(file), { method: "DELETE" })).status).toBe(405);
  });

  it("parses byte ranges", () => {
    expect(parseRange("bytes=0-0", 10)).toEqual({ start: 0, end: 0 });
    expect(parseRange("bytes=5-100", 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange("bytes=-3", 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange("bytes=9-5", 10)).toBeNull();
    expect(parseRange("bytes=0-1,4-5", 10)).toBeUndefined();
    expect(parseRange("items=0-1", 10)).toBeUndefined();
  });
});
