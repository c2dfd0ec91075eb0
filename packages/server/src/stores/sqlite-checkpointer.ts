import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { Logger } from "@factory/core";

export interface CheckpointerOptions {
  /** The database file (in WAL mode) whose log is copied back. */
  file: string;
  synchronous: "NORMAL" | "FULL";
  /** Pause between checkpoints while the log is empty or fully copied (default 100 ms). */
  idleMs?: number;
  /**
   * Log length (frames of one page) past which the log is made to start over (see `onCatchUp`),
   * so that it stays bounded under a load that never pauses (default 16384: 16 MiB of 1 KiB
   * pages). At twice this length the worker restarts the log itself, holding writers up.
   */
  restartFrames?: number;
  logger: Logger;
  /** Called when the checkpointer stopped on its own; the caller resumes checkpointing itself. */
  onFailure: () => void;
  /**
   * Called on the writer's thread when the log has grown past `restartFrames` and nearly all of
   * it is copied: the owner runs a PASSIVE checkpoint on its own connection (it copies the few
   * frames left, so its next commit starts the log over), then calls `resume()`.
   */
  onCatchUp?: () => void;
}

export interface Checkpointer {
  /** Lets the worker go on after `onCatchUp`. */
  resume(): void;
  /** Stops the thread after its current checkpoint and closes its connection. */
  stop(): Promise<void>;
}

// Runs in the worker: its own connection, PASSIVE checkpoints (never block the writer). The log
// only starts over when a writer begins while every frame is copied, which a steady stream of
// commits rarely allows; so when the log has grown past the limit and at most an eighth of the
// limit is left to copy, the worker hands the last copy to the writer's thread (\`catchUp\`): a
// PASSIVE checkpoint there copies the few frames left, and the writer's next commit restarts the log. Only if the log keeps growing anyway
// (twice the limit) does the worker take a RESTART checkpoint, which holds writers up. CommonJS
// because it is evaluated as a string, so it works the same from TypeScript sources and the
// built package.
const WORKER_SOURCE = `
const { parentPort, workerData: w } = require("node:worker_threads");
const Database = require(w.driver);
const db = new Database(w.file, { fileMustExist: true });
db.pragma("busy_timeout = 2000");
db.pragma("synchronous = " + w.synchronous);
let stopping = false;
let timer;
let handedOver = false;
const schedule = (ms) => {
  if (!stopping) timer = setTimeout(tick, ms);
};
const tick = () => {
  timer = undefined;
  if (stopping) return;
  let next = w.idleMs;
  try {
    const r = db.pragma("wal_checkpoint(PASSIVE)")[0];
    if (r.log > 2 * w.restartFrames) {
      db.pragma("wal_checkpoint(RESTART)");
      parentPort.postMessage({ restarted: r.log });
    }
    else if (r.log > w.restartFrames && !handedOver && r.log - r.checkpointed <= w.restartFrames / 8) {
      handedOver = true;
      parentPort.postMessage({ catchUp: r.log });
      // The writer answers "resume"; without an answer, go on after a while.
      schedule(1000);
      return;
    } else if (r.checkpointed < r.log) next = 1;
    if (r.log <= w.restartFrames) handedOver = false;
  } catch (error) {
    parentPort.postMessage({ warning: String(error && error.message) });
    next = w.idleMs * 10;
  }
  schedule(next);
};
parentPort.on("message", (m) => {
  if (m === "resume") {
    if (timer) clearTimeout(timer);
    handedOver = false;
    schedule(1);
    return;
  }
  if (m !== "stop") return;
  stopping = true;
  if (timer) clearTimeout(timer);
  db.close();
  parentPort.postMessage({ stopped: true });
  parentPort.close();
});
parentPort.postMessage({ ready: true });
tick();
`;

/**
 * Copies a SQLite write-ahead log back into the database file on a worker thread, so that the
 * fsyncs of a checkpoint never stall the event loop that answers requests. The owner turns off
 * its own automatic checkpoints (`wal_autocheckpoint = 0`) while this runs and turns them back
 * on if `onFailure` is called. Commits stay exactly as durable: a checkpoint only moves pages
 * that are already committed in the log.
 */
export function startCheckpointer(o: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver,
      file: o.file,
      synchronous: o.synchronous,
      idleMs: o.idleMs ?? 100,
      restartFrames: o.restartFrames ?? 16384,
    },
  });
  worker.unref();
  let stopping = false;
  let exited = false;
  let stopped: (() => void) | undefined;
  worker.on("message", (m: { warning?: string; stopped?: boolean; catchUp?: number; restarted?: number }) => {
    if (m.warning) o.logger.warn("background checkpoint failed", { error: m.warning });
    if (m.restarted !== undefined) {
      o.logger.warn("write-ahead log restarted by a blocking checkpoint (writes waited for it)", {
        frames: m.restarted,
      });
    }
    if (m.catchUp !== undefined) {
      if (o.onCatchUp) o.onCatchUp();
      else worker.postMessage("resume");
    }
    if (m.stopped) stopped?.();
  });
  worker.on("error", (error) => {
    o.logger.warn("background checkpointer stopped; checkpointing on the main thread", {
      error: error.message,
    });
  });
  worker.on("exit", () => {
    exited = true;
    stopped?.();
    if (!stopping) o.onFailure();
  });
  return {
    resume() {
      if (!stopping && !exited) worker.postMessage("resume");
    },
    stop() {
      if (stopping || exited) return Promise.resolve();
      stopping = true;
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 5_000);
        stopped = () => {
          clearTimeout(timer);
          resolve();
        };
        worker.postMessage("stop");
      });
    },
  };
}
