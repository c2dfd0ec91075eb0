import { createHash } from "node:crypto";
import { createReadStream, type Stats } from "node:fs";
import { readdir, realpath, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { Logger } from "@factory/core";
import { createFileSender } from "./file-sender";

export interface CdnOptions {
  /** Directory served under `/cdn/` (images, container tars, templates). */
  root: string;
  logger: Logger;
  /** Bytes read and written per step (default 512 KiB). */
  chunkBytes?: number;
}

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
  etag: string;
  modified: string;
}

const etagOf = (st: Stats) => `"${st.size.toString(16)}-${Math.trunc(st.mtimeMs).toString(16)}"`;

function contentType(file: string): string {
  if (file.endsWith(".json")) return "application/json";
  if (file.endsWith(".gz") || file.endsWith(".tgz")) return "application/gzip";
  if (file.endsWith(".tar")) return "application/x-tar";
  if (file.endsWith(".zst")) return "application/zstd";
  if (file.endsWith(".txt")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

/** Parses one `bytes=` range against `size`; undefined = serve whole, null = unsatisfiable. */
export function parseRange(header: string, size: number): { start: number; end: number } | undefined | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return header.trim().startsWith("bytes=") && !header.includes(",") ? null : undefined;
  const [, a, b] = m;
  if (a === "" && b === "") return null;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return null;
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || end < start) return null;
  return { start, end };
}

/**
 * The offline asset CDN as a plain Node request handler (streams files with `pipeline`, never
 * buffering a whole file): GET/HEAD with single Range requests, strong ETags with
 * If-None-Match / If-Range, and `/cdn/manifest.json` listing every file with its sha256
 * (hashed once per size+mtime and cached). Paths outside the root are refused.
 */
export function createCdnHandler(
  o: CdnOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const hashes = new Map<string, { etag: string; sha256: string }>();
  const chunk = o.chunkBytes ?? 512 * 1024;
  const send = createFileSender({ chunkBytes: chunk });
  let rootReal: string | undefined;

  const sha256Of = async (file: string, st: Stats): Promise<string> => {
    const etag = etagOf(st);
    const cached = hashes.get(file);
    if (cached?.etag === etag) return cached.sha256;
    const h = createHash("sha256");
    await pipeline(createReadStream(file, { highWaterMark: chunk }), h);
    const sha256 = h.digest("hex");
    hashes.set(file, { etag, sha256 });
    return sha256;
  };

  const walk = async (dir: string, rel: string, out: ManifestEntry[]) => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith(".")) continue;
      const full = path.join(dir, entry.name);
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(full, r, out);
      else if (entry.isFile()) {
        const st = await stat(full);
        out.push({
          path: r,
          size: st.size,
          sha256: await sha256Of(full, st),
          etag: etagOf(st),
          modified: st.mtime.toISOString(),
        });
      }
    }
  };

  const fail = (res: ServerResponse, status: number, code: string, message: string) => {
    const body = JSON.stringify({ error: { code, message } });
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  return async (req, res) => {
    try {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        return fail(res, 405, "METHOD_NOT_ALLOWED", "The CDN only serves GET and HEAD");
      }
      rootReal ??= await realpath(o.root);
      const url = new URL(req.url ?? "/", "http://cdn");
      let rel: string;
      try {
        rel = decodeURIComponent(url.pathname.replace(/^\/cdn\/?/, ""));
      } catch {
        return fail(res, 400, "INVALID_ARGUMENT", "Malformed path");
      }
      if (rel === "manifest.json") {
        const files: ManifestEntry[] = [];
        await walk(rootReal, "", files);
        const body = JSON.stringify({ generated: new Date().toISOString(), files });
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          "cache-control": "no-cache",
        });
        res.end(req.method === "HEAD" ? undefined : body);
        return;
      }
      if (rel === "" || rel.includes("\0") || rel.split("/").some((p) => p === ".." || p.startsWith("."))) {
        return fail(res, 404, "NOT_FOUND", "No such asset");
      }
      let file: string;
      let st: Stats;
      try {
        file = await realpath(path.join(rootReal, rel));
        if (!file.startsWith(rootReal + path.sep)) return fail(res, 404, "NOT_FOUND", "No such asset");
        st = await stat(file);
        if (!st.isFile()) return fail(res, 404, "NOT_FOUND", "No such asset");
      } catch {
        return fail(res, 404, "NOT_FOUND", "No such asset");
      }
      const etag = etagOf(st);
      const headers: Record<string, string | number> = {
        etag,
        "last-modified": st.mtime.toUTCString(),
        "accept-ranges": "bytes",
        "content-type": contentType(file),
        "cache-control": "no-cache",
      };
      const inm = req.headers["if-none-match"];
      if (inm?.split(",").some((t) => t.trim() === etag || t.trim() === "*")) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      let start = 0;
      let end = st.size - 1;
      let status = 200;
      const rangeHeader = req.headers.range;
      const ifRange = req.headers["if-range"];
      if (rangeHeader && (!ifRange || ifRange === etag) && st.size > 0) {
        const range = parseRange(rangeHeader, st.size);
        if (range === null) {
          res.writeHead(416, { ...headers, "content-range": `bytes */${st.size}`, "content-length": 0 });
          res.end();
          return;
        }
        if (range) {
          ({ start, end } = range);
          status = 206;
          headers["content-range"] = `bytes ${start}-${end}/${st.size}`;
        }
      }
      headers["content-length"] = st.size === 0 ? 0 : end - start + 1;
      res.writeHead(status, headers);
      if (req.method === "HEAD" || st.size === 0) {
        res.end();
        return;
      }
      await send(res, file, start, end);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== "ERR_STREAM_PREMATURE_CLOSE" && code !== "ECONNRESET" && code !== "EPIPE") {
        o.logger.warn("cdn request failed", { error: (error as Error).message, url: req.url });
      }
      if (!res.headersSent) fail(res, 500, "INTERNAL", "The asset could not be served");
      else res.destroy();
    }
  };
}
