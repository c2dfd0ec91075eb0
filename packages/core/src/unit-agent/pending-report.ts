import { randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { createError } from "../errors";
import { PKG, UnitAgentErrorCodes } from "./errors";

/** A final report waiting on disk: the body exactly as it will be sent, and its Idempotency-Key. */
export interface StoredReport {
  key: string;
  status: "ready" | "failed";
  body: string;
}

/**
 * The report store of a unit, in the same layout as factory-agent.sh so either agent can deliver
 * what the other stored: `report.pending/{key,status,body.json}` until the server took it, then
 * `report.delivered/{key,status,http-status}` (the body, which holds the passwords, is removed), or
 * `report.refused/` when the server refused it. Each step is a directory rename after an fsync,
 * so a crash leaves either the old or the new state. Files are mode 0600, directories 0700.
 */
export class ReportStore {
  constructor(readonly dir: string) {}

  get pendingDir(): string {
    return path.join(this.dir, "report.pending");
  }
  get deliveredDir(): string {
    return path.join(this.dir, "report.delivered");
  }
  get refusedDir(): string {
    // factory-agent.sh names it report.rejected
    return path.join(this.dir, "report.rejected");
  }

  /** Stores a new report; rejects `REPORT_EXISTS` when one was already made. */
  store(status: StoredReport["status"], body: string): StoredReport {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (existsSync(this.pendingDir) || existsSync(this.deliveredDir)) {
      throw createError(PKG, UnitAgentErrorCodes.REPORT_EXISTS, "A report was already made for this unit", {
        details: { dir: this.dir },
      });
    }
    const key = randomUUID();
    const tmp = path.join(this.dir, `report.tmp.${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { mode: 0o700 });
    writeDurable(path.join(tmp, "key"), `${key}\n`);
    writeDurable(path.join(tmp, "status"), `${status}\n`);
    writeDurable(path.join(tmp, "body.json"), body);
    renameSync(tmp, this.pendingDir);
    syncDir(this.dir);
    return { key, status, body };
  }

  /** The report waiting for delivery, if any. */
  pending(): StoredReport | undefined {
    if (!existsSync(path.join(this.pendingDir, "body.json"))) return undefined;
    const status = readFileSync(path.join(this.pendingDir, "status"), "utf8").trim();
    return {
      key: readFileSync(path.join(this.pendingDir, "key"), "utf8").trim(),
      status: status === "ready" ? "ready" : "failed",
      body: readFileSync(path.join(this.pendingDir, "body.json"), "utf8"),
    };
  }

  /** The delivered report's status and key, if the server took one. */
  delivered(): { key: string; status: StoredReport["status"] } | undefined {
    if (!existsSync(path.join(this.deliveredDir, "key"))) return undefined;
    const status = readFileSync(path.join(this.deliveredDir, "status"), "utf8").trim();
    return {
      key: readFileSync(path.join(this.deliveredDir, "key"), "utf8").trim(),
      status: status === "ready" ? "ready" : "failed",
    };
  }

  markDelivered(httpStatus: number): void {
    if (existsSync(this.pendingDir)) {
      writeDurable(path.join(this.pendingDir, "http-status"), `${httpStatus}\n`);
      renameSync(this.pendingDir, this.deliveredDir);
      syncDir(this.dir);
    }
    rmSync(path.join(this.deliveredDir, "body.json"), { force: true });
  }

  markRefused(): void {
    if (existsSync(this.pendingDir)) renameSync(this.pendingDir, this.refusedDir);
  }
}

function writeDurable(file: string, text: string): void {
  const fd = openSync(file, "w", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
