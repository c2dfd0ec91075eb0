import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeUnitStoreConformance } from "@factory/core/testing";
import { generateMasterKey } from "../crypto/envelope";
import { createSqliteUnitStore, readStoreFiles } from "./sqlite-store";

describeUnitStoreConformance("SQLite file (WAL)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-sqlite-"));
  const store = createSqliteUnitStore({ file: path.join(dir, "factory.db"), masterKey: generateMasterKey() });
  return {
    store,
    rawFiles: async () => readStoreFiles(store),
    secretTraces: async (mac) => store.storedSecretBytes(mac),
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
