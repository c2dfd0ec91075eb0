import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { findCommand, type PeerCheck } from "@factory/core/testing";
import pg from "pg";

/** The PostgreSQL peer the server's tests and bench start: initdb + pg_ctl in a temp dir. */
export const postgresPeer: PeerCheck = {
  name: "PostgreSQL server",
  commands: ["initdb", "pg_ctl"],
  install: "apt-get install postgresql (bash packages/server/scripts/ci-deps.sh)",
};

export interface PgTestServer {
  port: number;
  /** A connection string for a new, empty database. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Resolves a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function pgBin(name: string): string {
  const found = findCommand(name);
  if (found) return found;
  for (const v of ["17", "16", "15", "14", "13"]) {
    const p = `/usr/lib/postgresql/${v}/bin/${name}`;
    if (findCommand(p)) return p;
  }
  throw new Error(`${name} not found; install postgresql`);
}

/**
 * Starts a private PostgreSQL cluster on a free high loopback port, trust auth, in a temp dir
 * (run as the `postgres` user when the tests run as root, since initdb refuses root).
 */
export async function startPgServer(): Promise<PgTestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-pg-"));
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot
    ? Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim())
    : undefined;
  const gid = asRoot
    ? Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim())
    : undefined;
  if (uid !== undefined && gid !== undefined) chownSync(dir, uid, gid);
  const run = (bin: string, args: string[]) => {
    const cmd = asRoot ? ["runuser", "-u", "postgres", "--", pgBin(bin), ...args] : [pgBin(bin), ...args];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${bin} failed: ${r.stderr || r.stdout}`);
  };
  const data = path.join(dir, "data");
  run("initdb", [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
  ]);
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      run("pg_ctl", [
        "-D",
        data,
        "-l",
        path.join(dir, "server.log"),
        "-o",
        `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`,
        "-w",
        "-t",
        "30",
        "start",
      ]);
      break;
    } catch (error) {
      if (attempt >= 2) throw error;
    }
  }
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      try {
        await client.query(`create database "${name.replace(/"/g, "")}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
