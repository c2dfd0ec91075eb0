import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { requirePeer } from "@factory/core/testing";
import Database from "better-sqlite3";
import { drizzle as sqliteDrizzle } from "drizzle-orm/better-sqlite3";
import { migrate as sqliteMigrate } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as pgDrizzle } from "drizzle-orm/node-postgres";
import { migrate as pgMigrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generateMasterKey } from "../crypto/envelope";
import { type PgTestServer, postgresPeer, startPgServer } from "../testing/pg-server";
import { boardRecord } from "./board-records-conformance";
import { migrationsFolder } from "./migrations";
import { createPgUnitStore } from "./pg-store";
import { createSqliteUnitStore } from "./sqlite-store";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-migrations-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The package's migrations without the newest one: what a database made by the previous release has. */
function previousRelease(dialect: "sqlite" | "pg"): { folder: string; all: number } {
  const folder = path.join(tempDir(), dialect);
  cpSync(migrationsFolder(dialect), folder, { recursive: true });
  const journalFile = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: unknown[] };
  const all = journal.entries.length;
  expect(all).toBeGreaterThan(1);
  writeFileSync(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, -1) }));
  return { folder, all };
}

const MAC = "24:0a:c4:00:00:01";

describe("migrations: a database of the previous release is upgraded on start", () => {
  it("SQLite: keeps its units and audit log and gains the board tables", async () => {
    const { folder, all } = previousRelease("sqlite");
    const file = path.join(tempDir(), "factory.db");
    const old = new Database(file);
    sqliteMigrate(sqliteDrizzle(old), { migrationsFolder: folder });
    const t = Date.UTC(2026, 11, 1);
    old
      .prepare(
        "insert into units (mac, status, created_at, updated_at, label_prints) values (?, 'building', ?, ?, 0)",
      )
      .run(MAC, t, t);
    old
      .prepare("insert into audit_events (at, actor, action, mac) values (?, 'admin-1', 'unit.deleted', ?)")
      .run(t, MAC);
    expect(() => old.prepare("select 1 from board_records").get()).toThrow(/no such table/);
    old.close();

    for (let open = 0; open < 2; open++) {
      const store = createSqliteUnitStore({ file, masterKey: generateMasterKey() });
      try {
        expect((await store.getUnit(MAC))?.status).toBe("building");
        expect(await store.listAudit({ action: "unit.deleted" })).toHaveLength(1);
        const r = boardRecord(open);
        expect(await store.insertBoardRecord(r)).toEqual({ created: true });
        expect(await store.getBoardRecord(r.recordId)).toEqual(r);
      } finally {
        await store.close();
      }
    }
    const after = new Database(file, { readonly: true });
    expect((after.prepare("select count(*) as n from __drizzle_migrations").get() as { n: number }).n).toBe(
      all,
    );
    after.close();
  });

  describe.runIf(requirePeer(postgresPeer))("PostgreSQL", () => {
    let server: PgTestServer;
    beforeAll(async () => {
      server = await startPgServer();
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    it("keeps its units and audit log and gains the board tables", async () => {
      const { folder, all } = previousRelease("pg");
      const url = await server.createDatabase("previous_release");
      const old = new pg.Client({ connectionString: url });
      await old.connect();
      try {
        await pgMigrate(pgDrizzle(old), { migrationsFolder: folder });
        await old.query(
          "insert into units (mac, status, created_at, updated_at) values ($1, 'building', now(), now())",
          [MAC],
        );
        await old.query(
          "insert into audit_events (at, actor, action, mac) values (now(), 'admin-1', 'unit.deleted', $1)",
          [MAC],
        );
        await expect(old.query("select 1 from board_records")).rejects.toThrow(/does not exist/);
      } finally {
        await old.end();
      }

      for (let open = 0; open < 2; open++) {
        const store = await createPgUnitStore({ connectionString: url, masterKey: generateMasterKey() });
        try {
          expect((await store.getUnit(MAC))?.status).toBe("building");
          expect(await store.listAudit({ action: "unit.deleted" })).toHaveLength(1);
          const r = boardRecord(open);
          expect(await store.insertBoardRecord(r)).toEqual({ created: true });
          expect(await store.getBoardRecord(r.recordId)).toEqual(r);
          const { rows } = await store.pool.query<{ n: string }>(
            "select count(*) as n from drizzle.__drizzle_migrations",
          );
          expect(Number(rows[0]?.n)).toBe(all);
        } finally {
          await store.close();
        }
      }
    });
  });
});
