import { execFile } from "node:child_process";
import { Resolver } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { withDeadline } from "../abort";
import { createError, ErrorCodes } from "../errors";
import { PKG } from "./errors";

/**
 * A self-test a unit runs before it reports (seed 002): the same kinds as factory-agent.sh's
 * `test NAME KIND ARGS...` lines. `status` takes `200`, `2xx` or a comma list (`200,302`).
 */
export type SelfTest =
  | { name: string; kind: "http"; url: string; status?: string; insecure?: boolean }
  | { name: string; kind: "tcp"; host: string; port: number }
  | { name: string; kind: "dns"; query: string; server: string; expect?: string }
  | { name: string; kind: "systemd"; units: string[] }
  | { name: string; kind: "route"; target?: string; gateway?: string }
  | { name: string; kind: "cmd"; command: string };

export interface SelfTestResult {
  name: string;
  passed: boolean;
  /** What the test saw (bounded to 4 000 characters), for the failure report. */
  output: string;
}

const NAME = /^[a-z0-9_.-]{1,64}$/;
const invalid = (message: string) => createError(PKG, ErrorCodes.INVALID_ARGUMENT, message);

/**
 * Parses one declaration in factory-agent.sh's format, e.g. `portainer http https://10.10.20.10:9443/ 200 insecure`.
 * Throws `INVALID_ARGUMENT` naming the problem.
 */
export function parseSelfTest(line: string): SelfTest {
  const words = line.trim().split(/\s+/);
  const [name = "", kind = "", a, b, c] = words;
  if (!NAME.test(name)) throw invalid(`test '${line}': the name must be 1-64 of a-z 0-9 _ . -`);
  switch (kind) {
    case "http":
      if (!a || !/^https?:\/\//.test(a)) throw invalid(`test ${name}: http needs a URL`);
      return { name, kind, url: a, ...(b && { status: b }), ...(c === "insecure" && { insecure: true }) };
    case "tcp":
      if (!a || !b || !/^\d{1,5}$/.test(b)) throw invalid(`test ${name}: tcp needs HOST PORT`);
      return { name, kind, host: a, port: Number(b) };
    case "dns":
      if (!a || !b) throw invalid(`test ${name}: dns needs NAME SERVER [EXPECTED_IPV4]`);
      return { name, kind, query: a, server: b, ...(c && { expect: c }) };
    case "systemd":
      if (words.length < 3) throw invalid(`test ${name}: systemd needs at least one unit`);
      return { name, kind, units: words.slice(2) };
    case "route":
      if (a && !/^[^:]+:\d{1,5}$/.test(a)) throw invalid(`test ${name}: route takes [HOST:PORT] [GATEWAY]`);
      return { name, kind, ...(a && { target: a }), ...(b && { gateway: b }) };
    case "cmd": {
      const m = /^\s*\S+\s+cmd\s+(.+)$/.exec(line);
      if (!m?.[1]) throw invalid(`test ${name}: cmd needs a command`);
      return { name, kind, command: m[1] };
    }
    default:
      throw invalid(`test ${name}: unknown kind '${kind}' (http, tcp, dns, systemd, route, cmd)`);
  }
}

export interface SelfTestOptions {
  signal?: AbortSignal;
  /** Bound of each test, ms (default 10 000). */
  timeoutMs?: number;
}

/**
 * Runs the tests one after another, each bounded by `timeoutMs`; a test that throws or times out
 * fails with what it saw. Rejects only when `signal` fires (`ABORTED`).
 */
export async function runSelfTests(
  tests: readonly SelfTest[],
  o: SelfTestOptions = {},
): Promise<SelfTestResult[]> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const results: SelfTestResult[] = [];
  for (const test of tests) {
    if (!NAME.test(test.name)) throw invalid(`self-test name '${test.name}' must be 1-64 of a-z 0-9 _ . -`);
    let passed = false;
    let output: string;
    try {
      output = await withDeadline(`self-test ${test.name}`, { signal: o.signal, timeoutMs }, (s) =>
        runOne(test, s, timeoutMs),
      );
      passed = true;
    } catch (error) {
      if (o.signal?.aborted) throw error;
      output = error instanceof Error ? error.message.replace(/^\[core\] /, "") : String(error);
    }
    results.push({ name: test.name, passed, output: output.slice(0, 4_000) });
  }
  return results;
}

class Failed extends Error {}

async function runOne(test: SelfTest, signal: AbortSignal, timeoutMs: number): Promise<string> {
  switch (test.kind) {
    case "http": {
      const status = await httpStatus(test.url, test.insecure === true, signal);
      const want = test.status ?? "200";
      const line = `GET ${test.url} -> ${status} (want ${want})`;
      if (!statusMatches(status, want)) throw new Failed(line);
      return line;
    }
    case "tcp":
      await tcpOpen(test.host, test.port, signal);
      return `tcp ${test.host}:${test.port} open`;
    case "dns": {
      const [host, port] = splitHostPort(test.server, 53);
      const resolver = new Resolver({ timeout: Math.min(timeoutMs, 2_000), tries: 2 });
      resolver.setServers([`${host}:${port}`]);
      const onAbort = () => resolver.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const found = await resolver.resolve4(test.query).catch((e: NodeJS.ErrnoException) => {
          throw new Failed(`no A record for ${test.query} from ${test.server}: ${e.code ?? e.message}`);
        });
        const line = `${test.query} -> ${found.join(" ")} (via ${test.server})`;
        if (test.expect && !found.includes(test.expect)) throw new Failed(`${line}; expected ${test.expect}`);
        return line;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    }
    case "systemd": {
      const lines: string[] = [];
      let ok = true;
      for (const unit of test.units) {
        const { stdout, stderr } = await run("systemctl", ["is-active", "--", unit], signal);
        const state = (stdout || stderr).trim();
        lines.push(`${unit}: ${state}`);
        if (state !== "active") ok = false;
      }
      if (!ok) throw new Failed(lines.join("\n"));
      return lines.join("\n");
    }
    case "route": {
      const gateway = await defaultGateway();
      if (!gateway) throw new Failed("no default route");
      if (test.gateway && test.gateway !== gateway)
        throw new Failed(`default route via ${gateway}; expected ${test.gateway}`);
      const [host, port] = splitHostPort(test.target ?? "1.1.1.1:443", 443);
      await tcpOpen(host, port, signal);
      return `default route via ${gateway}; reached ${host}:${port}`;
    }
    case "cmd": {
      const { stdout, stderr, code } = await run("bash", ["-c", test.command], signal);
      const out = `${stdout}${stderr}`;
      if (code !== 0) throw new Failed(`exit ${code}: ${out}`);
      return out;
    }
  }
}

export function statusMatches(status: number, spec: string): boolean {
  const text = String(status).padStart(3, "0");
  return spec.split(",").some((s) => new RegExp(`^${s.trim().replace(/x/g, "\\d")}$`).test(text));
}

function splitHostPort(value: string, port: number): [string, number] {
  const m = /^([^:]+):(\d{1,5})$/.exec(value);
  return m ? [m[1]!, Number(m[2])] : [value, port];
}

function httpStatus(url: string, insecure: boolean, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith("https:") ? https : http;
    const req = lib.get(url, { signal, ...(insecure && { rejectUnauthorized: false }) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", (e) => reject(new Failed(`GET ${url} -> ${e.message}`)));
  });
}

function tcpOpen(host: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, signal });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", (e) => reject(new Failed(`tcp ${host}:${port} closed or filtered (${e.message})`)));
  });
}

async function defaultGateway(): Promise<string | undefined> {
  const text = await readFile("/proc/net/route", "utf8").catch(() => "");
  for (const line of text.split("\n").slice(1)) {
    const [, dest, gw] = line.trim().split(/\s+/);
    if (dest === "00000000" && gw) {
      const n = Number.parseInt(gw, 16);
      return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join(".");
    }
  }
  return undefined;
}

function run(
  file: string,
  args: string[],
  signal: AbortSignal,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(file, args, { signal, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 127) : 0;
      resolve({
        stdout: String(stdout),
        stderr: String(stderr || (error && code === 127 ? error.message : "")),
        code,
      });
    });
  });
}
