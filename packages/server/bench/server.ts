/**
 * `pnpm bench server`: heartbeat ingest (20 → 1,000 simulated units) on SQLite and PostgreSQL,
 * and CDN throughput of 20 concurrent downloads of a 1 GB file against nginx serving the same
 * file. The server runs in its own process; this process is the load generator.
 * Options: --seconds N (per ingest step, default 5), --cdn-mb N (file size, default 1024).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, startPgServer } from "../src/testing/pg-server";

const { values } = parseArgs({ options: { seconds: { type: "string" }, "cdn-mb": { type: "string" } } });
const seconds = Number(values.seconds ?? 5);
const cdnMb = Number(values["cdn-mb"] ?? 1024);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
const serveMain = path.join(here, "../src/testing/serve-main.ts");
const TOKEN = "bench-unit-token-0123456789abcdef";
const work = mkdtempSync(path.join(tmpdir(), "factory-bench-"));
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

async function startServerProcess(
  env: Record<string, string>,
  cdnRoot?: string,
): Promise<{ child: ChildProcess; url: string }> {
  const config = path.join(work, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      rateLimitPerSecond: 0,
      logLevel: "warn",
      tokens: [{ name: "bench", role: "unit", token: TOKEN }],
      ...(cdnRoot && { cdnRoot }),
    }),
  );
  const child = spawn(
    process.execPath,
    ["--import", "tsx", serveMain, "--config", config, "--port", "0", "--host", "127.0.0.1"],
    {
      cwd: repoRoot,
      env: { ...process.env, FACTORY_MASTER_KEY: "33".repeat(32), ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
  return { child, url };
}

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/heartbeat`, {
      method: "POST",
      agent,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(body),
      },
    });
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function ingest(url: string, units: number) {
  const macs = Array.from(
    { length: units },
    (_, i) =>
      `02:be:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`,
  );
  const concurrency = Math.min(units, 64);
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const mac = macs[next++ % units]!;
        const body = JSON.stringify({
          mac_wan: mac,
          status: "building",
          stage: "deploying_services",
          port: String(next % 20),
          timestamp: new Date().toISOString(),
        });
        const t = performance.now();
        const status = await post(url, body);
        latencies.push(performance.now() - t);
        if (status !== 200) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    units,
    requests: latencies.length,
    errors,
    perSecond: latencies.length / seconds,
    p50: q(0.5),
    p99: q(0.99),
  };
}

function download(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`${url} answered ${res.statusCode}`));
          return;
        }
        let bytes = 0;
        res.on("data", (d: Buffer) => {
          bytes += d.length;
        });
        res.on("end", () => resolve(bytes));
        res.on("error", reject);
      })
      .on("error", reject);
  });
}

async function cdnThroughput(url: string) {
  const t = performance.now();
  const sizes = await Promise.all(Array.from({ length: 20 }, () => download(url)));
  const s = (performance.now() - t) / 1000;
  const bytes = sizes.reduce((a, b) => a + b, 0);
  return { mbPerSecond: bytes / s / 1e6, bytes, seconds: s };
}

async function startNginx(root: string) {
  const port = await freePort();
  const dir = path.join(work, "nginx");
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, "nginx.conf");
  writeFileSync(
    conf,
    `user root; worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; sendfile on; tcp_nopush on; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location /cdn/ { alias ${root}/; } } }`,
  );
  const child = spawn("/usr/sbin/nginx", ["-c", conf, "-p", dir], { stdio: "inherit" });
  for (let i = 0; i < 100; i++) {
    try {
      await new Promise<void>((resolve, reject) =>
        http
          .get(`http://127.0.0.1:${port}/`, (r) => {
            r.resume();
            resolve();
          })
          .on("error", reject),
      );
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

const results: Record<string, unknown> = {};
const stopAll: (() => Promise<void> | void)[] = [];
try {
  const steps = [20, 100, 1000];
  const sqlite = await startServerProcess({ FACTORY_DATABASE_URL: path.join(work, "bench.db") });
  stopAll.push(() => void sqlite.child.kill("SIGTERM"));
  const sqliteRuns = [];
  for (const n of steps) {
    const r = await ingest(sqlite.url, n);
    sqliteRuns.push(r);
    console.log(
      `sqlite   ${String(n).padStart(5)} units: ${r.perSecond.toFixed(0)} heartbeats/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`,
    );
  }
  sqlite.child.kill("SIGTERM");
  results.sqlite = sqliteRuns;

  const hasPg =
    spawnSync("sh", ["-c", "command -v initdb || test -x /usr/lib/postgresql/15/bin/initdb"]).status === 0;
  if (hasPg) {
    const pg = await startPgServer();
    stopAll.push(() => pg.stop());
    const pgServer = await startServerProcess({ FACTORY_DATABASE_URL: await pg.createDatabase("bench") });
    stopAll.push(() => void pgServer.child.kill("SIGTERM"));
    const pgRuns = [];
    for (const n of steps) {
      const r = await ingest(pgServer.url, n);
      pgRuns.push(r);
      console.log(
        `postgres ${String(n).padStart(5)} units: ${r.perSecond.toFixed(0)} heartbeats/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, errors ${r.errors}`,
      );
    }
    pgServer.child.kill("SIGTERM");
    results.postgres = pgRuns;
  } else console.log("postgres: skipped (initdb not installed)");

  const cdnRoot = path.join(work, "cdn");
  mkdirSync(cdnRoot);
  const block = randomBytes(16 << 20);
  const fd = openSync(path.join(cdnRoot, "template.vma.zst"), "w");
  for (let written = 0; written < cdnMb << 20; written += block.length) writeSync(fd, block);
  closeSync(fd);
  const ours = await startServerProcess({ FACTORY_DATABASE_URL: path.join(work, "cdn.db") }, cdnRoot);
  stopAll.push(() => void ours.child.kill("SIGTERM"));
  await download(`${ours.url}/cdn/template.vma.zst`); // warm the page cache
  const oursCdn = await cdnThroughput(`${ours.url}/cdn/template.vma.zst`);
  console.log(
    `cdn      server: ${oursCdn.mbPerSecond.toFixed(0)} MB/s (20 × ${cdnMb} MiB in ${oursCdn.seconds.toFixed(1)} s)`,
  );
  ours.child.kill("SIGTERM");
  let ratio: number | null = null;
  if (spawnSync("test", ["-x", "/usr/sbin/nginx"]).status === 0) {
    const nginx = await startNginx(cdnRoot);
    stopAll.push(() => void nginx.child.kill("SIGTERM"));
    const ng = await cdnThroughput(`${nginx.url}/cdn/template.vma.zst`);
    console.log(
      `cdn      nginx:  ${ng.mbPerSecond.toFixed(0)} MB/s (20 × ${cdnMb} MiB in ${ng.seconds.toFixed(1)} s)`,
    );
    nginx.child.kill("SIGTERM");
    ratio = oursCdn.mbPerSecond / ng.mbPerSecond;
    console.log(`cdn      ratio server/nginx: ${ratio.toFixed(2)}`);
    results.cdn_nginx_mb_s = ng.mbPerSecond;
  } else console.log("cdn      nginx: skipped (nginx not installed)");
  results.cdn_mb_s = oursCdn.mbPerSecond;
  const best = sqliteRuns.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const at1000 = sqliteRuns.at(-1)!;
  console.log(
    JSON.stringify({
      heartbeats_per_s: Math.round(best.perSecond),
      p99_ms: Number(best.p99.toFixed(2)),
      heartbeats_per_s_1000_units: Math.round(at1000.perSecond),
      p99_ms_1000_units: Number(at1000.p99.toFixed(2)),
      pg_heartbeats_per_s: results.postgres
        ? Math.round(Math.max(...(results.postgres as { perSecond: number }[]).map((r) => r.perSecond)))
        : null,
      cdn_vs_nginx: ratio === null ? null : Number(ratio.toFixed(2)),
      cdn_mb_s: Math.round(oursCdn.mbPerSecond),
      cores: (await import("node:os")).cpus().length,
    }),
  );
} finally {
  for (const stop of stopAll.reverse()) await stop();
  agent.destroy();
  rmSync(work, { recursive: true, force: true });
}
