import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { generateMasterKey } from "../crypto/envelope";
import { describeBoardRecordStoreConformance } from "./board-records-conformance";
import { createSqliteUnitStore } from "./sqlite-store";

describeBoardRecordStoreConformance("SQLite file (WAL)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-board-records-"));
  const file = path.join(dir, "factory.db");
  const store = createSqliteUnitStore({ file, masterKey: generateMasterKey() });
  return {
    store,
    // A second connection to the same file: what is counted is what was committed.
    async countRows(table) {
      const db = new Database(file, { readonly: true });
      try {
        return (db.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
