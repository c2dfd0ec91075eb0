/**
 * `pnpm bench server`: heartbeat ingest with 20 → 1,000 simulated units on SQLite and
 * PostgreSQL, and CDN throughput of 20 concurrent downloads of one file against nginx serving
 * the same file from the same directory, with the same client, in the same run.
 *
 * The server runs in its own process; this process is the load generator (raw keep-alive
 * sockets, see lib/http-load.ts). For each number of units:
 *  - peak: 64 requests always in flight (fewer with fewer units): the highest rate;
 *  - at rate: the goal rate offered on a schedule, one keep-alive connection per unit, latency
 *    counted from the moment each heartbeat was due: the latency at that rate.
 * The goal reads "≥ 5,000 heartbeats/s with p99 ≤ 20 ms": `heartbeats_per_s` is the peak with
 * 1,000 units and `p99_ms` the p99 with 1,000 units at 5,000/s. The machine's load average is
 * printed with the figures: other jobs on the same cores change them. Each phase also prints the
 * CPU time per heartbeat of the server and of this client, and the at-rate phase the bound of
 * the server-side p99 from the server's own latency histogram (`/metrics`).
 *
 * Options: --seconds N (per run, default 5), --rate N (default 5000), --cdn-mb N (file size,
 * default 1024), --cdn-rounds N (default 2), --skip-pg, --skip-cdn, --skip-ingest, --units 20,100,1000
 * (the unit counts), --cpu-prof DIR (write the server processes' CPU profiles there).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort, startPgServer } from "../src/testing/pg-server";
import { closedLoop, type LoadResult, openLoop, type RequestFor } from "./lib/http-load";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    rate: { type: "string" },
    "cdn-mb": { type: "string" },
    "cdn-rounds": { type: "string" },
    "skip-pg": { type: "boolean" },
    "skip-cdn": { type: "boolean" },
    "skip-ingest": { type: "boolean" },
    units: { type: "string" },
    "cpu-prof": { type: "string" },
  },
});
const seconds = Number(values.seconds ?? 5);
const goalRate = Number(values.rate ?? 5000);
const cdnMb = Number(values["cdn-mb"] ?? 1024);
const cdnRounds = Number(values["cdn-rounds"] ?? 2);
const unitCounts = (values.units ?? "20,100,1000").split(",").map(Number);
/** Directory for the server processes' CPU profiles (`node --cpu-prof`), when given. */
const cpuProfDir = values["cpu-prof"] ? path.resolve(values["cpu-prof"]) : undefined;
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../../..");
const serveMain = path.join(here, "../src/testing/serve-main.ts");
const TOKEN = "bench-unit-token-0123456789abcdef";
const work = mkdtempSync(path.join(tmpdir(), "factory-bench-"));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const loadAtStart = loadavg();

/** CPU seconds a process used so far (Linux /proc), for the per-request and per-GB costs. */
const ticksPerSecond = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return Number.NaN;
    }
  }
  return ticks / ticksPerSecond;
}

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
    [
      ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []),
      "--import",
      "tsx",
      serveMain,
      "--config",
      config,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
    ],
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

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const mac = (unit: number) =>
  `02:be:00:00:${((unit >> 8) & 0xff).toString(16).padStart(2, "0")}:${(unit & 0xff).toString(16).padStart(2, "0")}`;

function heartbeatRequest(url: string): RequestFor {
  const host = new URL(url).host;
  return (unit) => {
    const body = JSON.stringify({
      mac_wan: mac(unit),
      status: "building",
      stage: "deploying_services",
      port: String(unit % 20),
      timestamp: new Date().toISOString(),
    });
    return `POST /api/heartbeat HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
}

const fmt = (r: LoadResult) =>
  `${r.perSecond.toFixed(0).padStart(6)}/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms, errors ${r.errors}`;

/** The server's own heartbeat latency histogram (`/metrics`): cumulative count per bucket bound (s). */
async function heartbeatHistogram(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const re =
    /factory_http_request_duration_seconds_bucket\{method="POST",route="\/api\/heartbeat",le="([^"]+)"\} (\d+)/g;
  return new Map(
    [...text.matchAll(re)].map((m) => [m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])]),
  );
}

/**
 * The bucket bound (ms) under which 99 % of the heartbeats between two histogram snapshots were
 * answered, counted by the server from reading the request to writing the answer: what the
 * server itself took, without the time a request waited for the process to get a core.
 */
function serverP99Bound(before: Map<number, number>, after: Map<number, number>): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return null;
  for (const b of bounds) {
    if ((after.get(b) ?? 0) - (before.get(b) ?? 0) >= 0.99 * total) return b === Infinity ? null : b * 1000;
  }
  return null;
}

interface IngestStep {
  units: number;
  peak: LoadResult;
  atRate?: LoadResult;
  serverCpuUsPerRequest: number;
  clientCpuUsPerRequest: number;
  atRateServerCpuUsPerRequest?: number;
  atRateClientCpuUsPerRequest?: number;
  /** Bound (ms) of the server-side p99 at rate, from the server's own histogram. */
  atRateServerP99BoundMs?: number | null;
}

/** Runs one load and measures the CPU time the server process and this client spent per request. */
async function measured(pid: number, run: () => Promise<LoadResult>) {
  const server = cpuSeconds([pid]);
  const client = process.cpuUsage();
  const result = await run();
  const used = process.cpuUsage(client);
  const requests = Math.max(1, result.requests);
  return {
    result,
    serverUs: ((cpuSeconds([pid]) - server) * 1e6) / requests,
    clientUs: (used.user + used.system) / requests,
  };
}

async function ingest(label: string, url: string, pid: number, withRate: boolean): Promise<IngestStep[]> {
  const request = heartbeatRequest(url);
  // Warm-up: the server compiles its hot paths and the units exist before anything is timed.
  await closedLoop({ url, units: 1000, connections: 32, seconds: Math.min(2, seconds), request });
  const steps: IngestStep[] = [];
  for (const units of unitCounts) {
    const peak = await measured(pid, () =>
      closedLoop({ url, units, connections: Math.min(units, 64), seconds, request }),
    );
    console.log(
      `${label} ${String(units).padStart(5)} units  peak   : ${fmt(peak.result)}  (CPU µs/heartbeat: server ${peak.serverUs.toFixed(0)}, client ${peak.clientUs.toFixed(0)}; load ${load()})`,
    );
    const step: IngestStep = {
      units,
      peak: peak.result,
      serverCpuUsPerRequest: peak.serverUs,
      clientCpuUsPerRequest: peak.clientUs,
    };
    if (withRate) {
      const histBefore = await heartbeatHistogram(url);
      const atRate = await measured(pid, () => openLoop({ url, units, rate: goalRate, seconds, request }));
      step.atRateServerP99BoundMs = serverP99Bound(histBefore, await heartbeatHistogram(url));
      step.atRate = atRate.result;
      step.atRateServerCpuUsPerRequest = atRate.serverUs;
      step.atRateClientCpuUsPerRequest = atRate.clientUs;
      console.log(
        `${label} ${String(units).padStart(5)} units  at ${goalRate}/s: ${fmt(atRate.result)}  (server-side p99 ≤ ${step.atRateServerP99BoundMs ?? "?"} ms; CPU µs/heartbeat: server ${atRate.serverUs.toFixed(0)}, client ${atRate.clientUs.toFixed(0)}; load ${load()})`,
      );
    }
    steps.push(step);
  }
  return steps;
}

/** The load generator's own ceiling: the same client against the cheapest route. */
async function clientCeiling(url: string): Promise<LoadResult> {
  const host = new URL(url).host;
  const text = `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  return closedLoop({ url, units: 1, connections: 64, seconds: Math.min(3, seconds), request: () => text });
}

// ---- CDN ----

const hasCurl = spawnSync("sh", ["-c", "command -v curl"]).status === 0;

/** One download; resolves with the bytes received (curl when installed, else node:http). */
function download(url: string): Promise<number> {
  if (hasCurl) {
    return new Promise((resolve, reject) => {
      const child = spawn("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code} %{size_download}", url]);
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      child.on("error", reject);
      child.on("exit", () => {
        const [status, size] = out.trim().split(" ");
        if (status !== "200") reject(new Error(`${url} answered ${status}`));
        else resolve(Number(size));
      });
    });
  }
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

async function cdnRound(url: string, size: number, pids: number[]) {
  const cpuBefore = cpuSeconds(pids);
  const t = performance.now();
  const sizes = await Promise.all(Array.from({ length: 20 }, () => download(url)));
  const s = (performance.now() - t) / 1000;
  const cpu = cpuSeconds(pids) - cpuBefore;
  const bytes = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((b) => b !== size)) throw new Error(`${url}: a download was cut short`);
  return { bytes, seconds: s, cpuSeconds: cpu };
}

async function startNginx(root: string) {
  const port = await freePort();
  const dir = path.join(work, "nginx");
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, "nginx.conf");
  // Debian's defaults for a static file server: one worker per core, sendfile, tcp_nopush.
  writeFileSync(
    conf,
    `user root; worker_processes auto; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
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
  const workers = spawnSync("pgrep", ["-P", String(child.pid)])
    .stdout.toString()
    .trim()
    .split("\n")
    .filter(Boolean)
    .map(Number);
  return { child, url: `http://127.0.0.1:${port}`, pids: [child.pid!, ...workers] };
}

function warmPageCache(file: string) {
  const fd = openSync(file, "r");
  const buffer = Buffer.allocUnsafe(16 << 20);
  while (readSync(fd, buffer, 0, buffer.length, null) > 0);
  closeSync(fd);
}

const results: Record<string, unknown> = {};
const stopAll: (() => Promise<void> | void)[] = [];
try {
  console.log(`load average at start: ${load()} (${cpus().length} cores)`);
  let ceiling: LoadResult | undefined;
  let sqliteSteps: IngestStep[] = [];
  let pgSteps: IngestStep[] | undefined;
  if (values["skip-ingest"]) console.log("ingest: skipped (--skip-ingest)");
  else {
    const sqlite = await startServerProcess({ FACTORY_DATABASE_URL: path.join(work, "bench.db") });
    stopAll.push(() => stopProcess(sqlite.child));
    sqliteSteps = await ingest("sqlite  ", sqlite.url, sqlite.child.pid!, true);
    const clientCpu = process.cpuUsage();
    ceiling = await clientCeiling(sqlite.url);
    const used = process.cpuUsage(clientCpu);
    console.log(
      `client   ceiling against /healthz: ${fmt(ceiling)}  (client CPU ${((used.user + used.system) / ceiling.requests).toFixed(0)} µs/request)`,
    );
    await stopProcess(sqlite.child);

    const hasPg =
      spawnSync("sh", ["-c", "command -v initdb || test -x /usr/lib/postgresql/15/bin/initdb"]).status === 0;
    if (values["skip-pg"]) console.log("postgres: skipped (--skip-pg)");
    else if (!hasPg) console.log("postgres: skipped (initdb not installed)");
    else {
      const pg = await startPgServer();
      stopAll.push(() => pg.stop());
      const pgServer = await startServerProcess({ FACTORY_DATABASE_URL: await pg.createDatabase("bench") });
      stopAll.push(() => stopProcess(pgServer.child));
      pgSteps = await ingest("postgres", pgServer.url, pgServer.child.pid!, false);
      await stopProcess(pgServer.child);
    }
  }

  let cdn: { ours: number; nginx: number | null; ratio: number | null; cpuPerGb: number } | undefined;
  if (values["skip-cdn"]) console.log("cdn: skipped (--skip-cdn)");
  else {
    const cdnRoot = path.join(work, "cdn");
    mkdirSync(cdnRoot);
    const file = path.join(cdnRoot, "template.vma.zst");
    const block = randomBytes(16 << 20);
    const fd = openSync(file, "w");
    for (let written = 0; written < cdnMb << 20; written += block.length) writeSync(fd, block);
    closeSync(fd);
    const size = statSync(file).size;
    warmPageCache(file);
    const ours = await startServerProcess({ FACTORY_DATABASE_URL: path.join(work, "cdn.db") }, cdnRoot);
    stopAll.push(() => stopProcess(ours.child));
    const hasNginx = existsSync("/usr/sbin/nginx");
    const nginx = hasNginx ? await startNginx(cdnRoot) : undefined;
    if (nginx) stopAll.push(() => stopProcess(nginx.child));
    else console.log("cdn      nginx: skipped (nginx not installed)");
    console.log(`cdn      client: ${hasCurl ? "curl" : "node:http"}, 20 parallel downloads of ${cdnMb} MiB`);
    await download(`${ours.url}/cdn/template.vma.zst`); // the server's first request compiles its path
    const total = { ours: { bytes: 0, seconds: 0, cpu: 0 }, nginx: { bytes: 0, seconds: 0, cpu: 0 } };
    for (let round = 1; round <= cdnRounds; round++) {
      const a = await cdnRound(`${ours.url}/cdn/template.vma.zst`, size, [ours.child.pid!]);
      total.ours.bytes += a.bytes;
      total.ours.seconds += a.seconds;
      total.ours.cpu += a.cpuSeconds;
      console.log(
        `cdn      round ${round} server: ${(a.bytes / a.seconds / 1e6).toFixed(0)} MB/s, server CPU ${((a.cpuSeconds * 1e9) / a.bytes).toFixed(2)} s/GB (load ${load()})`,
      );
      if (nginx) {
        const b = await cdnRound(`${nginx.url}/cdn/template.vma.zst`, size, nginx.pids);
        total.nginx.bytes += b.bytes;
        total.nginx.seconds += b.seconds;
        total.nginx.cpu += b.cpuSeconds;
        console.log(
          `cdn      round ${round} nginx:  ${(b.bytes / b.seconds / 1e6).toFixed(0)} MB/s, nginx CPU ${((b.cpuSeconds * 1e9) / b.bytes).toFixed(2)} s/GB (load ${load()})`,
        );
      }
    }
    await stopProcess(ours.child);
    if (nginx) await stopProcess(nginx.child);
    const oursMb = total.ours.bytes / total.ours.seconds / 1e6;
    const nginxMb = nginx ? total.nginx.bytes / total.nginx.seconds / 1e6 : null;
    const ratio = nginxMb ? oursMb / nginxMb : null;
    if (ratio !== null) console.log(`cdn      server/nginx throughput: ${ratio.toFixed(2)}`);
    cdn = { ours: oursMb, nginx: nginxMb, ratio, cpuPerGb: (total.ours.cpu * 1e9) / total.ours.bytes };
  }

  const at1000 = sqliteSteps.find((s) => s.units === 1000);
  const round2 = (n: number | undefined) => (n === undefined ? null : Number(n.toFixed(2)));
  results.summary = {
    heartbeats_per_s: at1000 ? Math.round(at1000.peak.perSecond) : null,
    p99_ms: round2(at1000?.atRate?.p99),
    p99_ms_at_rate: Object.fromEntries(sqliteSteps.map((s) => [String(s.units), round2(s.atRate?.p99)])),
    rate: goalRate,
    achieved_at_rate_per_s: at1000?.atRate ? Math.round(at1000.atRate.perSecond) : null,
    heartbeats_per_s_by_units: Object.fromEntries(
      sqliteSteps.map((s) => [String(s.units), Math.round(s.peak.perSecond)]),
    ),
    p99_ms_at_peak: round2(at1000?.peak.p99),
    server_cpu_us_per_heartbeat: at1000 ? Math.round(at1000.serverCpuUsPerRequest) : null,
    server_cpu_us_per_heartbeat_at_rate:
      at1000?.atRateServerCpuUsPerRequest === undefined
        ? null
        : Math.round(at1000.atRateServerCpuUsPerRequest),
    server_side_p99_ms_at_rate_bound: at1000?.atRateServerP99BoundMs ?? null,
    client_cpu_us_per_heartbeat_at_rate:
      at1000?.atRateClientCpuUsPerRequest === undefined
        ? null
        : Math.round(at1000.atRateClientCpuUsPerRequest),
    client_ceiling_per_s: ceiling ? Math.round(ceiling.perSecond) : null,
    pg_heartbeats_per_s: pgSteps ? Math.round(Math.max(...pgSteps.map((s) => s.peak.perSecond))) : null,
    cdn_vs_nginx: cdn?.ratio == null ? null : Number(cdn.ratio.toFixed(2)),
    cdn_server_cpu_s_per_gb: cdn ? Number(cdn.cpuPerGb.toFixed(2)) : null,
    cdn_mb_s: cdn ? Math.round(cdn.ours) : null,
    cdn_nginx_mb_s: cdn?.nginx == null ? null : Math.round(cdn.nginx),
    cores: cpus().length,
    load_avg_start: Number(loadAtStart[0]!.toFixed(2)),
    load_avg_end: Number(loadavg()[0]!.toFixed(2)),
  };
  console.log(JSON.stringify(results.summary));
} finally {
  for (const stop of stopAll.reverse()) await stop();
  rmSync(work, { recursive: true, force: true });
}
