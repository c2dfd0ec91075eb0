import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { agentScriptPath } from "./agent-files";

/** Test support: runs the real agent script with bash, a delaying TCP proxy, a DNS-over-TCP server. */

export interface AgentRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function agentStateDir(): string {
  return mkdtempSync(path.join(tmpdir(), "factory-agent-"));
}

/** Runs `bash factory-agent.sh ...args` with only the given environment (plus PATH), bounded. */
export function runAgent(
  args: string[],
  env: Record<string, string>,
  o: { timeoutMs?: number; onSpawn?: (pid: number) => void } = {},
): Promise<AgentRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [agentScriptPath(), ...args], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", FACTORY_AGENT_CONFIG: "/dev/null", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (child.pid !== undefined) o.onSpawn?.(child.pid);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString("utf8");
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString("utf8");
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`agent ${args.join(" ")} did not finish in ${o.timeoutMs ?? 60_000} ms\n${stderr}`));
    }, o.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface DelayingProxy {
  url: string;
  port: number;
  /** POST /api/units requests whose answers were withheld so far. */
  held: number;
  /** Requests seen, by their first line. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the server that lets the first `holdReports` `POST /api/units` requests
 * through to the server but never passes their answers back, so the client times out although the
 * server recorded the report (the case idempotency keys exist for).
 */
export async function startDelayingProxy(upstreamPort: number, holdReports: number): Promise<DelayingProxy> {
  const sockets = new Set<net.Socket>();
  const state = { held: 0, requests: [] as string[] };
  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(upstreamPort, "127.0.0.1");
    sockets.add(upstream);
    let decided = false;
    let hold = false;
    client.on("data", (chunk: Buffer) => {
      if (!decided) {
        decided = true;
        const first = chunk.toString("latin1").split("\r\n")[0] ?? "";
        state.requests.push(first);
        if (first.startsWith("POST /api/units ") && state.held < holdReports) {
          hold = true;
          state.held += 1;
        }
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!hold) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", () => {
      if (!hold) end();
    });
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get held() {
      return state.held;
    },
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A DNS server on one port over TCP (RFC 1035 4.2.2 framing) and UDP: answers A queries for
 * `records` with one A record (compressed name pointer), NXDOMAIN for other names. Records the
 * names it was asked for.
 */
export async function startDnsServer(
  records: Record<string, string>,
): Promise<{ port: number; queries: string[]; close(): Promise<void> }> {
  const queries: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        socket.write(frame(answer(msg, records, queries)));
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, rinfo) => udp.send(answer(msg, records, queries), rinfo.port, rinfo.address));
  await new Promise<void>((resolve, reject) => {
    udp.once("error", reject);
    udp.bind(port, "127.0.0.1", () => resolve());
  });
  return {
    port,
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        udp.close();
        server.close(() => resolve());
      }),
  };
}

function frame(msg: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(msg.length);
  return Buffer.concat([len, msg]);
}

function answer(query: Buffer, records: Record<string, string>, seen: string[]): Buffer {
  const labels: string[] = [];
  let p = 12;
  while (p < query.length && query[p] !== 0) {
    const n = query[p]!;
    labels.push(query.subarray(p + 1, p + 1 + n).toString("ascii"));
    p += n + 1;
  }
  const questionEnd = p + 1 + 4;
  const name = labels.join(".").toLowerCase();
  seen.push(name);
  const ip = records[name];
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  header.writeUInt16BE(0x8180 | (ip ? 0 : 3), 2); // QR, RD, RA, rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(ip ? 1 : 0, 6);
  const question = query.subarray(12, questionEnd);
  if (!ip) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0);
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(60, 6);
  rr.writeUInt16BE(4, 10);
  ip.split(".").forEach((octet, i) => {
    rr[12 + i] = Number(octet);
  });
  return Buffer.concat([header, question, rr]);
}
