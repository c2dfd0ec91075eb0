import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { noopLogger } from "@factory/core";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { startCheckpointer } from "./sqlite-checkpointer";

type CheckpointResult = { busy: number; log: number; checkpointed: number };

describe("background checkpointer", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("hands a long, nearly copied log to the writer, whose next commit starts it over", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "factory-ckpt-"));
    dirs.push(dir);
    const file = path.join(dir, "t.db");
    const db = new Database(file);
    db.pragma("page_size = 1024");
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    db.exec("create table t (id integer primary key, v text)");
    const insert = db.prepare("insert into t (v) values (?)");
    const commit = db.transaction(() => {
      for (let i = 0; i < 8; i++) insert.run("x".repeat(200));
    });
    const restartFrames = 100;
    const handovers: { left: number; copied: CheckpointResult }[] = [];
    const after: number[] = [];
    let checkNext = false;
    const checkpointer = startCheckpointer({
      file,
      synchronous: "NORMAL",
      restartFrames,
      idleMs: 5,
      logger: noopLogger,
      onFailure: () => undefined,
      onCatchUp: () => {
        const copied = (db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[])[0]!;
        handovers.push({ left: copied.log, copied });
        checkNext = true;
        checkpointer.resume();
      },
    });
    try {
      // A writer committing every couple of milliseconds, as heartbeats under load do, until a
      // handover was checked (bounded generously: a busy machine slows the checkpoint worker).
      const until = Date.now() + 30_000;
      while (Date.now() < until && after.length < 1) {
        commit();
        if (checkNext) {
          checkNext = false;
          after.push((db.pragma("wal_checkpoint(PASSIVE)") as CheckpointResult[])[0]!.log);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(handovers.length).toBeGreaterThan(0);
      for (const h of handovers) {
        // Handed over past the limit, and the writer's checkpoint copied every frame.
        expect(h.left).toBeGreaterThan(restartFrames);
        expect(h.copied.checkpointed).toBe(h.copied.log);
      }
      // The commit right after a handover started the log over: it holds only that commit.
      for (const frames of after) expect(frames).toBeLessThan(restartFrames / 4);
    } finally {
      await checkpointer.stop();
      db.close();
    }
  }, 60_000);
});
