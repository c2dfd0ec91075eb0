import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger, type LogFields } from "@factory/core";
import { generateMasterKey } from "../crypto/envelope";
import { type RunningServer, type ServerOptions, startServer } from "../server";

export const TOKENS = {
  unit: "unit-token-0123456789abcdef",
  station: "station-token-0123456789abcdef",
  operator: "operator-token-0123456789abcdef",
  admin: "admin-token-0123456789abcdef",
} as const;

export interface TestServer extends RunningServer {
  dir: string;
  logLines: string[];
  call(
    method: string,
    route: string,
    options?: {
      token?: keyof typeof TOKENS | string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
    },
  ): Promise<{
    status: number;
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response JSON
    json: any;
    text: string;
    headers: Headers;
  }>;
  stop(): Promise<void>;
}

/** Starts a real server on a free loopback port with a SQLite file in a temp dir. */
export async function startTestServer(overrides: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-server-"));
  const logLines: string[] = [];
  const logger = createLogger({
    level: "debug",
    sink: (r) =>
      logLines.push(JSON.stringify({ level: r.level, msg: r.message, ...(r.fields as LogFields) })),
  });
  const server = await startServer({
    database: { kind: "sqlite", file: path.join(dir, "factory.db") },
    masterKey: generateMasterKey(),
    tokens: (Object.keys(TOKENS) as (keyof typeof TOKENS)[]).map((role) => ({
      name: `${role}-1`,
      role,
      token: TOKENS[role],
    })),
    host: "127.0.0.1",
    port: 0,
    logger,
    shutdownGraceMs: 500,
    ...overrides,
  });
  return {
    ...server,
    dir,
    logLines,
    async call(method, route, o = {}) {
      const headers: Record<string, string> = { ...o.headers };
      if (o.token) headers.authorization = `Bearer ${TOKENS[o.token as keyof typeof TOKENS] ?? o.token}`;
      let body: string | undefined = o.raw;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(`${server.url}${route}`, {
        method,
        headers,
        ...(body !== undefined && { body }),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text, headers: res.headers };
    },
    async stop() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
