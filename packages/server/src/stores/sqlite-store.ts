import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  type AuditEvent,
  abortedError,
  computeMetrics,
  createError,
  type DeviceRegistration,
  ErrorCodes,
  type Heartbeat,
  type IdempotentOptions,
  type Logger,
  noopLogger,
  normalizeMac,
  type SignalOptions,
  throwIfAborted,
  type Unit,
  type UnitFilter,
  type UnitReport,
  type UnitStore,
} from "@factory/core";
import Database from "better-sqlite3";
import { asc, eq } from "drizzle-orm";
import { type BetterSQLite3Database, drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { MasterKey } from "../crypto/envelope";
import type { BoardRecordStore } from "./board-records";
import { migrationsFolder } from "./migrations";
import * as s from "./schema-sqlite";
import {
  keyConflict,
  notFound,
  PKG,
  prepareRegistration,
  prepareReport,
  registrationConflict,
  validDate,
} from "./shared";
import { sqliteBoardRecords } from "./sqlite-board-records";
import { type Checkpointer, startCheckpointer } from "./sqlite-checkpointer";
import {
  auditOrder,
  auditWhere,
  batchOrder,
  batchWhere,
  metricColumns,
  metricsWhere,
  registrationWhere,
  unitListOrder,
  unitListWhere,
} from "./store-queries";
import {
  auditValues,
  batchValues,
  debugLogValues,
  newDebugLog,
  registrationValues,
  secretsOf,
  toAuditEvent,
  toBatch,
  toDebugLog,
  toRegistration,
} from "./store-rows";
import { epochMs } from "./time-codec";
import {
  byMac,
  labeledValues,
  labelPrintValues,
  labelPrintWhere,
  stuckValues,
  stuckWhere,
} from "./unit-lifecycle";
import { openCredentials, reportIsNew, reportValues, sealCredentials } from "./unit-reports";
import {
  heartbeatRefused,
  labelPrintRefused,
  toMetricRow,
  type UnitRow,
  toUnit as unitOf,
  unitRowFromRaw,
} from "./unit-rows";

export interface SqliteUnitStoreOptions {
  /** Database file; its directory is created. The write-ahead log lives beside it (`<file>-wal`). */
  file: string;
  /** Wraps every per-unit key. */
  masterKey: MasterKey;
  /**
   * `normal` (default): a report that got its answer survives a crash of the server process.
   * `full`: it also survives a power cut, at the cost of an fsync per write.
   */
  synchronous?: "normal" | "full";
  /**
   * Copy the write-ahead log back into the database on a worker thread (default true), so a
   * checkpoint's fsyncs never hold up requests. `false` checkpoints on the calling thread.
   */
  backgroundCheckpoints?: boolean;
  /**
   * Group commit window for heartbeats, in milliseconds (default 2): after a commit, the next one
   * waits until this much time has passed, so that under load each commit carries many
   * heartbeats (a commit costs about as much as several heartbeats). A heartbeat arriving when
   * no commit happened for this long is written in the same event-loop turn. 0: every turn.
   */
  groupCommitWindowMs?: number;
  logger?: Logger;
  now?: () => Date;
}

/**
 * A {@link UnitStore} on one SQLite file, plus the board line's records and reports
 * ({@link BoardRecordStore}) and the file names it writes (for backups and audits).
 */
export interface SqliteUnitStore extends UnitStore, BoardRecordStore {
  readonly files: readonly string[];
  /** Copies the write-ahead log into the database file and truncates the log. */
  checkpoint(): void;
  /** Raw stored forms of a unit's secret (wrapped key, sealed passwords), for audits and tests. */
  storedSecretBytes(mac: string): Buffer[];
}

/** Page size of new database files. */
const PAGE_SIZE = 1024;

/** The write-ahead log is cut back to this size after it was emptied (64 MiB). */
const WAL_SIZE_LIMIT = 64 * 1024 * 1024;

type Row = UnitRow<number>;
type RawRow = Record<string, unknown>;

/** JSON columns read with a raw statement come back as text. */
const parseJsonText = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : null);

const toUnit = (r: Row): Unit => unitOf(r, epochMs);

/**
 * Opens (and migrates) a SQLite unit store: WAL journal, foreign keys, `secure_delete` so freed
 * pages are zeroed, and a WAL truncation after every credential deletion so no copy of the
 * sealed passwords or their key survives in the log.
 *
 * @example
 * const store = createSqliteUnitStore({ file: ".factory/factory.db", masterKey: parseMasterKey(process.env.FACTORY_MASTER_KEY!) });
 */
export function createSqliteUnitStore(options: SqliteUnitStoreOptions): SqliteUnitStore {
  const file = path.resolve(options.file);
  mkdirSync(path.dirname(file), { recursive: true });
  const log = options.logger ?? noopLogger;
  const now = options.now ?? (() => new Date());
  const master = options.masterKey;
  let sqlite: Database.Database;
  try {
    sqlite = new Database(file);
    // New files get 1 KiB pages: a heartbeat rewrites a few scattered pages (its row and two time
    // indexes), so smaller pages make the write-ahead log about four times smaller. A file that
    // exists keeps its page size (this pragma does nothing once the database has tables).
    sqlite.pragma(`page_size = ${PAGE_SIZE}`);
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma(`synchronous = ${options.synchronous === "full" ? "FULL" : "NORMAL"}`);
    sqlite.pragma("foreign_keys = ON");
    sqlite.pragma("secure_delete = ON");
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT}`);
  } catch (cause) {
    throw createError(PKG, ErrorCodes.STORE_ERROR, `Cannot open the database ${file}`, {
      cause,
      details: { file },
    });
  }
  const db: BetterSQLite3Database<typeof s> = drizzle(sqlite, { schema: s });
  migrate(db, { migrationsFolder: migrationsFolder("sqlite") });
  let closed = false;
  let checkpointer: Checkpointer | undefined;
  if (options.backgroundCheckpoints !== false) {
    sqlite.pragma("wal_autocheckpoint = 0");
    checkpointer = startCheckpointer({
      file,
      synchronous: options.synchronous === "full" ? "FULL" : "NORMAL",
      logger: log,
      onFailure: () => {
        if (!closed) sqlite.pragma("wal_autocheckpoint = 1000");
      },
      // The worker copied nearly all of a long log: copy the rest here, between commits, so the
      // next commit starts the log over (a short pause of this thread instead of a long stall of
      // every writer behind a RESTART checkpoint).
      onCatchUp: () => {
        if (closed) return;
        try {
          sqlite.pragma("wal_checkpoint(PASSIVE)");
        } catch (error) {
          log.warn("checkpoint failed", { error: (error as Error).message });
        }
        checkpointer?.resume();
      },
    });
  }
  log.info("sqlite store open", { file });
  let regSeq = (
    sqlite.prepare("select coalesce(max(seq), 0) as n from device_registrations").get() as { n: number }
  ).n;

  // The hot path (thousands of heartbeats a second) uses prepared statements. A building unit's
  // heartbeat leaves `status` out of the update, so the status index is not rewritten each time;
  // only a stuck unit (or a new one) takes the second statement.
  const heartbeatStmt = sqlite.prepare(
    `insert into units (mac, status, stage, port, last_heartbeat, created_at, updated_at, label_prints)
     values (?, 'building', ?, ?, ?, ?, ?, 0)
     on conflict (mac) do update set stage = coalesce(excluded.stage, units.stage),
       port = coalesce(excluded.port, units.port), last_heartbeat = excluded.last_heartbeat, updated_at = excluded.updated_at
     where units.status = 'building'
     returning *`,
  );
  const revivingHeartbeatStmt = sqlite.prepare(
    `update units set status = 'building', stage = coalesce(?, stage), port = coalesce(?, port),
       last_heartbeat = ?, updated_at = ?
     where mac = ? and status = 'stuck'
     returning *`,
  );
  const check = (o?: SignalOptions) => {
    throwIfAborted(o?.signal, PKG);
    if (closed) throw createError(PKG, ErrorCodes.STORE_ERROR, "The store is closed");
  };
  const guard = (o?: SignalOptions) => {
    check(o);
    if (pending.length > 0) flushHeartbeats();
  };
  const run = <T>(what: string, fn: () => T): T => {
    try {
      return fn();
    } catch (cause) {
      if (
        (cause as { code?: unknown })?.code &&
        typeof (cause as { code: unknown }).code === "string" &&
        (cause as { code: string }).code.startsWith("SQLITE_")
      ) {
        throw createError(PKG, ErrorCodes.STORE_ERROR, `Database error while ${what}`, { cause });
      }
      throw cause;
    }
  };
  const getRow = (mac: string) => db.select().from(s.units).where(eq(s.units.mac, mac)).get();

  // Group commit: heartbeats are queued and written in one transaction (one WAL append instead of
  // one per heartbeat): those of the same event-loop turn, and under load those of a short window
  // (a commit starts at most once per `groupCommitWindowMs`). Each caller's promise settles only
  // after that transaction committed. Any other call writes the queue first, so calls still
  // take effect in the order they were made.
  interface PendingHeartbeat {
    args: [string, string | null, string | null, number];
    signal: AbortSignal | undefined;
    resolve: (unit: Unit) => void;
    reject: (error: unknown) => void;
  }
  let pending: PendingHeartbeat[] = [];
  let flushTimer:
    | { kind: "immediate"; id: NodeJS.Immediate }
    | { kind: "timeout"; id: NodeJS.Timeout }
    | undefined;
  let lastFlush = Number.NEGATIVE_INFINITY;
  const windowMs = options.groupCommitWindowMs ?? 2;
  const scheduleFlush = () => {
    if (flushTimer) return;
    const wait = lastFlush + windowMs - performance.now();
    flushTimer =
      wait > 0
        ? { kind: "timeout", id: setTimeout(flushHeartbeats, wait) }
        : { kind: "immediate", id: setImmediate(flushHeartbeats) };
  };
  const writeHeartbeat = (p: PendingHeartbeat, t: number) => {
    const [mac, stage, port, at] = p.args;
    return (heartbeatStmt.get(mac, stage, port, at, t, t) ??
      revivingHeartbeatStmt.get(stage, port, at, t, mac)) as RawRow | undefined;
  };
  const writeHeartbeats = sqlite.transaction((batch: PendingHeartbeat[], t: number) =>
    batch.map((p) => writeHeartbeat(p, t)),
  );
  const settleHeartbeat = (p: PendingHeartbeat, raw: RawRow | undefined) => {
    if (raw) return p.resolve(toUnit(unitRowFromRaw(raw, parseJsonText)));
    const mac = p.args[0];
    p.reject(heartbeatRefused(mac, getRow(mac)?.status));
  };
  function flushHeartbeats(): void {
    if (flushTimer?.kind === "immediate") clearImmediate(flushTimer.id);
    else if (flushTimer) clearTimeout(flushTimer.id);
    flushTimer = undefined;
    lastFlush = performance.now();
    const batch = pending.filter((p) => {
      if (!p.signal?.aborted) return true;
      p.reject(abortedError(p.signal, PKG));
      return false;
    });
    pending = [];
    if (batch.length === 0) return;
    const t = now().getTime();
    let rows: (RawRow | undefined)[];
    try {
      rows = run("recording heartbeats", () => writeHeartbeats(batch, t));
    } catch {
      // One transaction failed as a whole: write each alone so one bad write fails only its caller.
      for (const p of batch) {
        try {
          settleHeartbeat(
            p,
            run("recording a heartbeat", () => writeHeartbeat(p, t)),
          );
        } catch (error) {
          p.reject(error);
        }
      }
      return;
    }
    batch.forEach((p, i) => {
      try {
        settleHeartbeat(p, rows[i]);
      } catch (error) {
        p.reject(error);
      }
    });
  }

  const checkpoint = () => {
    sqlite.pragma("wal_checkpoint(TRUNCATE)");
  };

  const addRegistrationTx = (r: Omit<DeviceRegistration, "createdAt">) => {
    const p = prepareRegistration(r);
    const existing = db
      .select()
      .from(s.registrations)
      .where(eq(s.registrations.deviceId, p.reg.deviceId))
      .get();
    if (existing) {
      if (existing.fingerprint !== p.fingerprint) throw registrationConflict(p.reg.deviceId);
      return { registration: { ...toRegistration(existing, epochMs), ...secretsOf(r) }, created: false };
    }
    const createdAt = now();
    db.insert(s.registrations)
      .values({ ...registrationValues(p, master, createdAt.getTime()), seq: ++regSeq })
      .run();
    return { registration: { ...p.reg, createdAt }, created: true };
  };

  const store: SqliteUnitStore = {
    ...sqliteBoardRecords(db, guard, run),
    files: [file, `${file}-wal`],
    checkpoint,
    storedSecretBytes(mac) {
      const row = db
        .select()
        .from(s.unitCredentials)
        .where(eq(s.unitCredentials.mac, normalizeMac(mac)))
        .get();
      return row ? [Buffer.from(row.wrappedKey), Buffer.from(row.sealed)] : [];
    },

    async recordHeartbeat(hb: Heartbeat, o?: SignalOptions) {
      check(o);
      const mac = normalizeMac(hb.mac);
      const at = validDate(hb.timestamp, "timestamp").getTime();
      return new Promise<Unit>((resolve, reject) => {
        pending.push({
          args: [mac, hb.stage ?? null, hb.port ?? null, at],
          signal: o?.signal,
          resolve,
          reject,
        });
        scheduleFlush();
      });
    },

    async recordReport(input: UnitReport, o?: IdempotentOptions) {
      guard(o);
      const { report, mac, fingerprint } = prepareReport(input);
      const key = o?.idempotencyKey;
      return run("recording a report", () =>
        db.transaction((tx) => {
          if (key !== undefined) {
            const seen = tx.select().from(s.idempotencyKeys).where(eq(s.idempotencyKeys.key, key)).get();
            if (seen && (seen.mac !== mac || seen.fingerprint !== fingerprint)) throw keyConflict(mac);
          }
          const existing = tx.select().from(s.units).where(eq(s.units.mac, mac)).get();
          if (!reportIsNew(existing, mac, fingerprint, report.status))
            return { unit: toUnit(existing!), created: false };
          const t = now().getTime();
          const values = reportValues(report, fingerprint, t, epochMs);
          const row = tx
            .insert(s.units)
            .values({ mac, createdAt: t, ...values })
            .onConflictDoUpdate({ target: s.units.mac, set: values })
            .returning()
            .get();
          if (report.status === "ready") {
            tx.insert(s.unitCredentials)
              .values(sealCredentials(master, mac, report.credentials))
              .run();
          }
          if (key !== undefined) {
            tx.insert(s.idempotencyKeys)
              .values({ key, mac, fingerprint, createdAt: t })
              .onConflictDoNothing()
              .run();
          }
          return { unit: toUnit(row), created: true };
        }),
      );
    },

    async getUnit(mac, o) {
      guard(o);
      const row = getRow(normalizeMac(mac));
      return row && toUnit(row);
    },

    async listUnits(filter: UnitFilter = {}, o?: SignalOptions) {
      guard(o);
      const q = db
        .select()
        .from(s.units)
        .where(unitListWhere(s.units, filter, epochMs))
        .orderBy(...unitListOrder(s.units));
      return (filter.limit !== undefined ? q.limit(filter.limit).all() : q.all()).map(toUnit);
    },

    async getCredentials(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const row = db.select().from(s.unitCredentials).where(eq(s.unitCredentials.mac, m)).get();
      return row && openCredentials(master, m, row);
    },

    async deleteCredentials(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const deleted = run("deleting credentials", () =>
        db.transaction((tx) => {
          const gone = tx.delete(s.unitCredentials).where(eq(s.unitCredentials.mac, m)).returning().all();
          if (gone.length === 0) return false;
          const t = now().getTime();
          tx.update(s.units).set(labeledValues(t)).where(eq(s.units.mac, m)).run();
          tx.delete(s.idempotencyKeys).where(eq(s.idempotencyKeys.mac, m)).run();
          return true;
        }),
      );
      if (deleted) checkpoint();
      return deleted;
    },

    async deleteUnit(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const deleted = run("deleting a unit", () =>
        db.transaction((tx) => {
          tx.delete(s.idempotencyKeys).where(eq(s.idempotencyKeys.mac, m)).run();
          return (
            tx.delete(s.units).where(eq(s.units.mac, m)).returning({ mac: s.units.mac }).all().length > 0
          );
        }),
      );
      if (deleted) checkpoint();
      return deleted;
    },

    async recordLabelPrint(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      return run("counting a label print", () => {
        const row = db
          .update(s.units)
          .set(labelPrintValues(s.units, now().getTime()))
          .where(labelPrintWhere(s.units, m))
          .returning()
          .get();
        if (row) return toUnit(row);
        throw labelPrintRefused(m, getRow(m));
      });
    },

    async markStuck(before, o) {
      guard(o);
      return run("marking stuck units", () =>
        db
          .update(s.units)
          .set(stuckValues(now().getTime()))
          .where(stuckWhere(s.units, before, epochMs))
          .returning()
          .all()
          .map(toUnit)
          .sort(byMac),
      );
    },

    async addRegistration(registration, o) {
      guard(o);
      return run("registering a device", () => db.transaction(() => addRegistrationTx(registration)));
    },

    async addRegistrations(list, o) {
      guard(o);
      return run("registering devices", () => db.transaction(() => list.map((r) => addRegistrationTx(r))));
    },

    async listRegistrations(filter = {}, o) {
      guard(o);
      const q = db
        .select()
        .from(s.registrations)
        .where(registrationWhere(s.registrations, filter))
        .orderBy(asc(s.registrations.seq));
      return (filter.limit !== undefined ? q.limit(filter.limit).all() : q.all()).map((r) =>
        toRegistration(r, epochMs),
      );
    },

    async upsertBatch(batch, o) {
      guard(o);
      const values = batchValues(batch, epochMs);
      run("saving a batch", () =>
        db
          .insert(s.batches)
          .values({ batchId: batch.batchId, ...values })
          .onConflictDoUpdate({ target: s.batches.batchId, set: values })
          .run(),
      );
    },

    async listBatches(filter = {}, o) {
      guard(o);
      const q = db
        .select()
        .from(s.batches)
        .where(batchWhere(s.batches, filter))
        .orderBy(...batchOrder(s.batches));
      return (filter.limit !== undefined ? q.limit(filter.limit).all() : q.all()).map((b) =>
        toBatch(b, epochMs),
      );
    },

    async addDebugLog(input, o) {
      guard(o);
      const mac = normalizeMac(input.mac);
      const collectedAt = validDate(input.collectedAt, "collectedAt");
      return run("saving debug logs", () =>
        db.transaction((tx) => {
          if (!tx.select({ mac: s.units.mac }).from(s.units).where(eq(s.units.mac, mac)).get())
            throw notFound(mac);
          const entry = newDebugLog(mac, collectedAt, input.entries);
          tx.insert(s.debugLogs).values(debugLogValues(entry, epochMs)).run();
          return entry;
        }),
      );
    },

    async listDebugLogs(mac, o) {
      guard(o);
      return db
        .select()
        .from(s.debugLogs)
        .where(eq(s.debugLogs.mac, normalizeMac(mac)))
        .orderBy(asc(s.debugLogs.collectedAt), asc(s.debugLogs.id))
        .all()
        .map((l) => toDebugLog(l, epochMs));
    },

    async appendAudit(event: AuditEvent, o) {
      guard(o);
      run("writing the audit log", () => db.insert(s.auditEvents).values(auditValues(event, epochMs)).run());
    },

    async listAudit(filter = {}, o) {
      guard(o);
      const q = db
        .select()
        .from(s.auditEvents)
        .where(auditWhere(s.auditEvents, filter))
        .orderBy(...auditOrder(s.auditEvents));
      return (filter.limit !== undefined ? q.limit(filter.limit).all() : q.all()).map((e) =>
        toAuditEvent(e, epochMs),
      );
    },

    async metrics(range = {}, o) {
      guard(o);
      const rows = db
        .select(metricColumns(s.units))
        .from(s.units)
        .where(metricsWhere(s.units, range, epochMs))
        .all();
      return computeMetrics(rows.map((r) => toMetricRow(r, epochMs)));
    },

    async close() {
      if (closed) return;
      if (pending.length > 0) flushHeartbeats();
      closed = true;
      await checkpointer?.stop();
      try {
        checkpoint();
      } finally {
        sqlite.close();
      }
      log.info("sqlite store closed", { file });
    },
  };
  return store;
}

/** Reads the files a SQLite store writes; for audits and the "no readable trace" test. */
export function readStoreFiles(store: SqliteUnitStore): Buffer[] {
  return store.files.filter((f) => existsSync(f)).map((f) => readFileSync(f));
}
