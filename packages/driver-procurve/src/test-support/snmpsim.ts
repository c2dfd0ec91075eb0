/**
 * Starts the real `snmpsimd` (Debian snmpsim 0.4.5) on a free loopback port in a temp dir, with
 * the given data sets (community = file name) and an SNMPv3 user; optional SQLite tables for
 * data that changes while a test runs (snmpsim's sql variation module).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findCommand } from "@factory/core/testing";
import { SnmpClient } from "../snmp/client";
import { type Row, sqlOid } from "./snmprec";

export const V3 = { user: "factory", authKey: "auth-secret-1", privKey: "priv-secret-1" } as const;

export const SNMPSIM_PEER = {
  name: "snmpsim (snmpsimd) and net-snmp tools (snmptrap)",
  commands: ["snmpsimd", "snmptrap", "python3"],
  install: "apt-get install snmpsim snmp",
};

export interface SimAgent {
  port: number;
  dir: string;
  /** Replaces all rows of a SQLite table (sql variation module). */
  setTable(table: string, rows: Row[]): void;
  /** Inserts or updates rows and deletes OIDs, in one transaction. */
  update(table: string, upsert: Row[], remove?: string[]): void;
  stop(): Promise<void>;
}

export async function freeUdpPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createSocket("udp4");
      s.once("error", () => resolve(false));
      s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

export async function startSnmpsim(
  datasets: Record<string, string>,
  sqlTables: Record<string, Row[]> = {},
): Promise<SimAgent> {
  const dir = mkdtempSync(path.join(tmpdir(), "procurve-snmpsim-"));
  chmodSync(dir, 0o755);
  const data = path.join(dir, "data");
  const cache = path.join(dir, "cache");
  const dbDir = path.join(dir, "db");
  mkdirSync(data);
  mkdirSync(cache);
  mkdirSync(dbDir);
  chmodSync(dbDir, 0o777);
  for (const [name, text] of Object.entries(datasets))
    writeFileSync(path.join(data, `${name}.snmprec`), text);
  const db = path.join(dbDir, "live.db");
  const root = process.getuid?.() === 0;
  if (root) chownSync(cache, 65534, 65534);
  const sql = (ops: unknown): void => {
    execFileSync("python3", ["-c", SQL_SCRIPT, db], { input: JSON.stringify(ops) });
  };
  sql(
    Object.entries(sqlTables).map(([table, rows]) => ({
      table,
      replace: rows.map(([o, t, v]) => [sqlOid(o), t, v]),
    })),
  );
  chmodSync(db, 0o666);

  const port = await freeUdpPort();
  const args = [
    `--data-dir=${data}`,
    `--cache-dir=${cache}`,
    `--agent-udpv4-endpoint=127.0.0.1:${port}`,
    `--v3-user=${V3.user}`,
    `--v3-auth-key=${V3.authKey}`,
    "--v3-auth-proto=SHA",
    `--v3-priv-key=${V3.privKey}`,
    "--v3-priv-proto=AES",
    `--variation-module-options=sql:dbtype:sqlite3,database:${db}`,
    "--logging-method=null",
    ...(root ? ["--process-user=nobody", "--process-group=nogroup"] : []),
  ];
  const child: ChildProcess = spawn(findCommand("snmpsimd") ?? "snmpsimd", args, {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when it answers a GET for the first data set.
  const probe = new SnmpClient({
    host: "127.0.0.1",
    port,
    community: Object.keys(datasets)[0]!,
    timeoutMs: 300,
    retries: 0,
  });
  try {
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`snmpsimd exited: ${stderr.slice(-500)}`);
      try {
        await probe.get(["1.3.6.1.2.1.1.1.0"]);
        break;
      } catch (error) {
        if (i > 60) throw error;
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.close();
  }
  return {
    port,
    dir,
    setTable: (table, rows) => sql([{ table, replace: rows.map(([o, t, v]) => [sqlOid(o), t, v]) }]),
    update: (table, upsert, remove = []) =>
      sql([{ table, upsert: upsert.map(([o, t, v]) => [sqlOid(o), t, v]), remove: remove.map(sqlOid) }]),
    stop,
  };
}

const SQL_SCRIPT = `
import json, sqlite3, sys
ops = json.load(sys.stdin)
c = sqlite3.connect(sys.argv[1])
for op in ops:
    t = op["table"]
    c.execute("create table if not exists %s (oid text, tag text, value text, maxaccess text)" % t)
    if "replace" in op:
        c.execute("delete from %s" % t)
        c.executemany("insert into %s values (?, ?, ?, 'read-only')" % t, op["replace"])
    for oid in op.get("remove", []):
        c.execute("delete from %s where oid = ?" % t, (oid,))
    for oid, tag, value in op.get("upsert", []):
        c.execute("delete from %s where oid = ?" % t, (oid,))
        c.execute("insert into %s values (?, ?, ?, 'read-only')" % t, (oid, tag, value))
c.commit()
`;

/** Sends a linkUp/linkDown trap with the real `snmptrap` (v2c by default, or v1). */
export function sendLinkTrap(opts: {
  port: number;
  community: string;
  kind: "link-up" | "link-down";
  ifIndex: number;
  version?: "1" | "2c";
}): void {
  const up = opts.kind === "link-up";
  const vbs = [
    `1.3.6.1.2.1.2.2.1.1.${opts.ifIndex}`,
    "i",
    String(opts.ifIndex),
    `1.3.6.1.2.1.2.2.1.7.${opts.ifIndex}`,
    "i",
    "1",
    `1.3.6.1.2.1.2.2.1.8.${opts.ifIndex}`,
    "i",
    up ? "1" : "2",
  ];
  const target = `127.0.0.1:${opts.port}`;
  const args =
    opts.version === "1"
      ? [
          "-v1",
          "-c",
          opts.community,
          target,
          "1.3.6.1.4.1.11.2.3.7.11.63",
          "127.0.0.1",
          up ? "3" : "2",
          "0",
          "",
          ...vbs,
        ]
      : [
          "-v2c",
          "-c",
          opts.community,
          target,
          "",
          up ? "1.3.6.1.6.3.1.1.5.4" : "1.3.6.1.6.3.1.1.5.3",
          ...vbs,
        ];
  execFileSync(findCommand("snmptrap") ?? "snmptrap", args, { stdio: ["ignore", "ignore", "pipe"] });
}
