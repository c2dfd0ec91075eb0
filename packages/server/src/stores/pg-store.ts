import { randomUUID } from "node:crypto";
import {
  type AuditEvent,
  type BatchSummary,
  createError,
  type DebugLog,
  type DeviceRegistration,
  ErrorCodes,
  type Heartbeat,
  type IdempotentOptions,
  isFactoryError,
  type Logger,
  noopLogger,
  normalizeMac,
  type SignalOptions,
  throwIfAborted,
  type Unit,
  type UnitCredentials,
  type UnitFilter,
  type UnitReport,
  type UnitStore,
} from "@factory/core";
import { and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import { type MasterKey, openUnitSecret, seal, sealUnitSecret } from "../crypto/envelope";
import type { BoardRecordStore } from "./board-records";
import { migrationsFolder } from "./migrations";
import { pgBoardRecords } from "./pg-board-records";
import { createPgHeartbeatWriter } from "./pg-heartbeats";
import * as s from "./schema-pg";
import {
  computeMetrics,
  defined,
  invalid,
  keyConflict,
  notFound,
  PKG,
  prepareRegistration,
  prepareReport,
  registrationConflict,
  transition,
  validDate,
} from "./shared";

export interface PgUnitStoreOptions {
  /** `postgres://user@host:port/db`, or pass an existing `pool`. */
  connectionString?: string;
  pool?: pg.Pool;
  masterKey: MasterKey;
  /** Upper bound for any single statement (default 10 s). */
  statementTimeoutMs?: number;
  /** Pool size (default 10). */
  maxConnections?: number;
  logger?: Logger;
  now?: () => Date;
}

/** A {@link UnitStore} on PostgreSQL, plus the board line's records and reports ({@link BoardRecordStore}). */
export interface PgUnitStore extends UnitStore, BoardRecordStore {
  /** The connection pool (the event bridge uses it for LISTEN/NOTIFY). */
  readonly pool: pg.Pool;
}

type Db = NodePgDatabase<typeof s>;
type Row = typeof s.units.$inferSelect;

function toUnit(r: Row): Unit {
  return {
    mac: r.mac,
    status: r.status,
    ...defined({
      serial: r.serial,
      stage: r.stage,
      port: r.port,
      buildTime: r.buildTime,
      buildDurationSeconds: r.buildDurationSeconds,
      testResults: r.testResults,
      failedTests: r.failedTests,
      errorLog: r.errorLog,
      diagnosticData: r.diagnosticData,
      lastHeartbeat: r.lastHeartbeat,
      labeledAt: r.labeledAt,
    }),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    reprints: Math.max(0, r.labelPrints - 1),
    hasCredentials: r.status === "ready",
  };
}

const MIGRATION_LOCK = 0x66616374; // "fact"

/**
 * Opens a PostgreSQL unit store and applies migrations (serialised by an advisory lock, so
 * several server instances may start at once). Reports take a per-MAC advisory lock inside their
 * transaction, so concurrent retries from many instances still make one record.
 *
 * Deleting credentials removes the per-unit key; PostgreSQL keeps dead row versions until
 * VACUUM and old WAL segments until they are recycled, so the store runs `VACUUM` on the
 * credentials table after each deletion. Keep WAL archives and backups encrypted.
 */
export async function createPgUnitStore(options: PgUnitStoreOptions): Promise<PgUnitStore> {
  const log = options.logger ?? noopLogger;
  const now = options.now ?? (() => new Date());
  const master = options.masterKey;
  const ownPool = !options.pool;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      idle_in_transaction_session_timeout: 30_000,
    });
  pool.on("error", (error) => log.warn("postgres connection error", { error: error.message }));
  const db: Db = drizzle(pool, { schema: s });
  await wrap("applying migrations", async () => {
    const client = await pool.connect();
    try {
      await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
      await migrate(drizzle(client), { migrationsFolder: migrationsFolder("pg") });
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
      client.release();
    }
  });
  log.info("postgres store open");
  let closed = false;
  const heartbeats = createPgHeartbeatWriter({ pool, now });

  const guard = (o?: SignalOptions) => {
    throwIfAborted(o?.signal, PKG);
    if (closed) throw createError(PKG, ErrorCodes.STORE_ERROR, "The store is closed");
  };
  const lock = (tx: Pick<Db, "execute">, key: string) =>
    tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
  const getRow = async (tx: Pick<Db, "select">, mac: string) =>
    (await tx.select().from(s.units).where(eq(s.units.mac, mac)))[0];

  const addRegistrationTx = async (tx: Db, r: Omit<DeviceRegistration, "createdAt">) => {
    const p = prepareRegistration(r);
    await lock(tx, `registration:${p.reg.deviceId}`);
    const [existing] = await tx
      .select()
      .from(s.registrations)
      .where(eq(s.registrations.deviceId, p.reg.deviceId));
    if (existing) {
      if (existing.fingerprint !== p.fingerprint) throw registrationConflict(p.reg.deviceId);
      return { registration: { ...toRegistration(existing), ...secretsOf(r) }, created: false };
    }
    const createdAt = now();
    await tx.insert(s.registrations).values({
      deviceId: p.reg.deviceId,
      mac: p.reg.mac ?? null,
      uniqueId: p.reg.uniqueId,
      boardType: p.reg.boardType,
      stationId: p.reg.stationId ?? null,
      batchId: p.reg.batchId ?? null,
      firmwareVersion: p.reg.firmwareVersion ?? null,
      sealedSecrets: p.secrets ? seal(master.bytes, p.secrets, `registration:${p.reg.deviceId}`) : null,
      fingerprint: p.fingerprint,
      createdAt,
    });
    return { registration: { ...p.reg, createdAt }, created: true };
  };

  const vacuumCredentials = () => {
    pool
      .query("vacuum unit_credentials")
      .catch((error: Error) => log.warn("vacuum failed", { error: error.message }));
  };

  return {
    ...pgBoardRecords(db, guard, wrap),
    pool,

    async recordHeartbeat(hb: Heartbeat, o?: SignalOptions) {
      guard(o);
      const mac = normalizeMac(hb.mac);
      const at = validDate(hb.timestamp, "timestamp");
      const row = await heartbeats.write(
        { mac, stage: hb.stage ?? null, port: hb.port ?? null, at },
        o?.signal,
      );
      if (row) return toUnit(row);
      throw transition(
        mac,
        (await wrap("reading a unit", () => getRow(db, mac)))?.status ?? "unknown",
        "building",
      );
    },

    async recordReport(input: UnitReport, o?: IdempotentOptions) {
      guard(o);
      const { report, mac, fingerprint } = prepareReport(input);
      const key = o?.idempotencyKey;
      return wrap("recording a report", () =>
        db.transaction(async (tx) => {
          if (key !== undefined) {
            await lock(tx, `idempotency:${key}`);
            const [seen] = await tx.select().from(s.idempotencyKeys).where(eq(s.idempotencyKeys.key, key));
            if (seen && (seen.mac !== mac || seen.fingerprint !== fingerprint)) throw keyConflict(mac);
          }
          await lock(tx, `unit:${mac}`);
          const existing = await getRow(tx, mac);
          if (existing?.reportFingerprint != null) {
            if (existing.reportFingerprint === fingerprint) return { unit: toUnit(existing), created: false };
            throw transition(mac, existing.status, report.status);
          }
          if (existing && existing.status !== "building" && existing.status !== "stuck") {
            throw transition(mac, existing.status, report.status);
          }
          const t = now();
          const values = {
            status: report.status,
            serial: report.serial ?? null,
            buildTime: report.buildTime ?? null,
            buildDurationSeconds: report.buildDurationSeconds ?? null,
            testResults: report.testResults ?? null,
            failedTests: report.status === "failed" ? (report.failedTests ?? null) : null,
            errorLog: report.status === "failed" ? (report.errorLog ?? null) : null,
            diagnosticData: report.status === "failed" ? (report.diagnosticData ?? null) : null,
            updatedAt: t,
            labelPrints: 0,
            reportFingerprint: fingerprint,
          };
          const [row] = await tx
            .insert(s.units)
            .values({ mac, createdAt: t, ...values })
            .onConflictDoUpdate({ target: s.units.mac, set: values })
            .returning();
          if (report.status === "ready") {
            const secret = sealUnitSecret(master, mac, Buffer.from(JSON.stringify(report.credentials)));
            await tx.insert(s.unitCredentials).values({ mac, ...secret });
          }
          if (key !== undefined) {
            await tx
              .insert(s.idempotencyKeys)
              .values({ key, mac, fingerprint, createdAt: t })
              .onConflictDoNothing();
          }
          return { unit: toUnit(row!), created: true };
        }),
      );
    },

    async getUnit(mac, o) {
      guard(o);
      const row = await wrap("reading a unit", () => getRow(db, normalizeMac(mac)));
      return row && toUnit(row);
    },

    async listUnits(filter: UnitFilter = {}, o?: SignalOptions) {
      guard(o);
      const where: SQL[] = [];
      if (filter.status !== undefined) where.push(inArray(s.units.status, [filter.status].flat()));
      if (filter.since) where.push(gte(s.units.updatedAt, filter.since));
      const q = db
        .select()
        .from(s.units)
        .where(and(...where))
        .orderBy(desc(s.units.updatedAt), asc(s.units.mac));
      const rows = await wrap("listing units", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map(toUnit);
    },

    async getCredentials(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const [row] = await wrap("reading credentials", () =>
        db.select().from(s.unitCredentials).where(eq(s.unitCredentials.mac, m)),
      );
      if (!row) return undefined;
      const plain = openUnitSecret(master, m, row.wrappedKey, row.sealed);
      try {
        return JSON.parse(plain.toString("utf8")) as UnitCredentials;
      } finally {
        plain.fill(0);
      }
    },

    async deleteCredentials(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const deleted = await wrap("deleting credentials", () =>
        db.transaction(async (tx) => {
          await lock(tx, `unit:${m}`);
          const gone = await tx
            .delete(s.unitCredentials)
            .where(eq(s.unitCredentials.mac, m))
            .returning({ mac: s.unitCredentials.mac });
          if (gone.length === 0) return false;
          const t = now();
          await tx
            .update(s.units)
            .set({ status: "labeled", labeledAt: t, updatedAt: t, reportFingerprint: null })
            .where(eq(s.units.mac, m));
          await tx.delete(s.idempotencyKeys).where(eq(s.idempotencyKeys.mac, m));
          return true;
        }),
      );
      if (deleted) vacuumCredentials();
      return deleted;
    },

    async deleteUnit(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const deleted = await wrap("deleting a unit", () =>
        db.transaction(async (tx) => {
          await lock(tx, `unit:${m}`);
          await tx.delete(s.idempotencyKeys).where(eq(s.idempotencyKeys.mac, m));
          return (
            (await tx.delete(s.units).where(eq(s.units.mac, m)).returning({ mac: s.units.mac })).length > 0
          );
        }),
      );
      if (deleted) vacuumCredentials();
      return deleted;
    },

    async recordLabelPrint(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      return wrap("counting a label print", async () => {
        const [row] = await db
          .update(s.units)
          .set({ labelPrints: sql`${s.units.labelPrints} + 1`, updatedAt: now() })
          .where(and(eq(s.units.mac, m), eq(s.units.status, "ready")))
          .returning();
        if (row) return toUnit(row);
        const existing = await getRow(db, m);
        throw existing ? transition(m, existing.status, "printed") : notFound(m);
      });
    },

    async markStuck(before, o) {
      guard(o);
      const rows = await wrap("marking stuck units", () =>
        db
          .update(s.units)
          .set({ status: "stuck", updatedAt: now() })
          .where(and(eq(s.units.status, "building"), lt(s.units.lastHeartbeat, before)))
          .returning(),
      );
      return rows.map(toUnit).sort((a, b) => a.mac.localeCompare(b.mac));
    },

    async addRegistration(registration, o) {
      guard(o);
      return wrap("registering a device", () => db.transaction((tx) => addRegistrationTx(tx, registration)));
    },

    async addRegistrations(list, o) {
      guard(o);
      return wrap("registering devices", () =>
        db.transaction(async (tx) => {
          const out = [];
          for (const r of list) out.push(await addRegistrationTx(tx, r));
          return out;
        }),
      );
    },

    async listRegistrations(filter = {}, o) {
      guard(o);
      const where: SQL[] = [];
      if (filter.batchId !== undefined) where.push(eq(s.registrations.batchId, filter.batchId));
      if (filter.stationId !== undefined) where.push(eq(s.registrations.stationId, filter.stationId));
      const q = db
        .select()
        .from(s.registrations)
        .where(and(...where))
        .orderBy(asc(s.registrations.seq));
      const rows = await wrap("listing registrations", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map(toRegistration);
    },

    async upsertBatch(batch, o) {
      guard(o);
      if (!batch.batchId) throw invalid("batchId is required");
      const values = {
        stationId: batch.stationId ?? null,
        startedAt: validDate(batch.startedAt, "startedAt"),
        finishedAt: batch.finishedAt ? validDate(batch.finishedAt, "finishedAt") : null,
        total: batch.total,
        passed: batch.passed,
        failed: batch.failed,
      };
      await wrap("saving a batch", () =>
        db
          .insert(s.batches)
          .values({ batchId: batch.batchId, ...values })
          .onConflictDoUpdate({ target: s.batches.batchId, set: values }),
      );
    },

    async listBatches(filter = {}, o) {
      guard(o);
      const q = db
        .select()
        .from(s.batches)
        .where(filter.stationId !== undefined ? eq(s.batches.stationId, filter.stationId) : undefined)
        .orderBy(desc(s.batches.startedAt), asc(s.batches.batchId));
      const rows = await wrap("listing batches", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map(
        (b): BatchSummary => ({
          batchId: b.batchId,
          ...defined({ stationId: b.stationId, finishedAt: b.finishedAt }),
          startedAt: b.startedAt,
          total: b.total,
          passed: b.passed,
          failed: b.failed,
        }),
      );
    },

    async addDebugLog(input, o) {
      guard(o);
      const mac = normalizeMac(input.mac);
      const collectedAt = validDate(input.collectedAt, "collectedAt");
      return wrap("saving debug logs", () =>
        db.transaction(async (tx) => {
          await lock(tx, `unit:${mac}`);
          if (!(await getRow(tx, mac))) throw notFound(mac);
          const entry: DebugLog = { id: randomUUID(), mac, collectedAt, entries: { ...input.entries } };
          await tx.insert(s.debugLogs).values({ id: entry.id, mac, collectedAt, entries: entry.entries });
          return entry;
        }),
      );
    },

    async listDebugLogs(mac, o) {
      guard(o);
      const rows = await wrap("listing debug logs", () =>
        db
          .select()
          .from(s.debugLogs)
          .where(eq(s.debugLogs.mac, normalizeMac(mac)))
          .orderBy(asc(s.debugLogs.collectedAt), asc(s.debugLogs.id)),
      );
      return rows.map((l) => ({ id: l.id, mac: l.mac, collectedAt: l.collectedAt, entries: l.entries }));
    },

    async appendAudit(event: AuditEvent, o) {
      guard(o);
      await wrap("writing the audit log", () =>
        db.insert(s.auditEvents).values({
          at: validDate(event.at, "at"),
          actor: event.actor,
          action: event.action,
          mac: event.mac === undefined ? null : normalizeMac(event.mac),
          details: event.details ?? null,
        }),
      );
    },

    async listAudit(filter = {}, o) {
      guard(o);
      const where: SQL[] = [];
      if (filter.mac !== undefined) where.push(eq(s.auditEvents.mac, normalizeMac(filter.mac)));
      if (filter.action !== undefined) where.push(eq(s.auditEvents.action, filter.action));
      const q = db
        .select()
        .from(s.auditEvents)
        .where(and(...where))
        .orderBy(desc(s.auditEvents.at), desc(s.auditEvents.id));
      const rows = await wrap("reading the audit log", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map((e) => ({
        id: String(e.id),
        at: e.at,
        actor: e.actor,
        action: e.action,
        ...defined({ mac: e.mac, details: e.details }),
      }));
    },

    async metrics(range = {}, o) {
      guard(o);
      const where: SQL[] = [sql`${s.units.buildTime} is not null`];
      if (range.since) where.push(gte(s.units.buildTime, range.since));
      if (range.until) where.push(lt(s.units.buildTime, range.until));
      const rows = await wrap("computing metrics", () =>
        db
          .select({
            status: s.units.status,
            buildTime: s.units.buildTime,
            buildDurationSeconds: s.units.buildDurationSeconds,
            failedTests: s.units.failedTests,
            labelPrints: s.units.labelPrints,
          })
          .from(s.units)
          .where(and(...where)),
      );
      return computeMetrics(rows.map((r) => ({ ...r, buildTime: r.buildTime! })));
    },

    async close() {
      if (closed) return;
      closed = true;
      await heartbeats.drain();
      if (ownPool) await pool.end();
      log.info("postgres store closed");
    },
  };
}

async function wrap<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    if (isFactoryError(cause)) throw cause;
    throw createError(PKG, ErrorCodes.STORE_ERROR, `Database error while ${what}`, { cause });
  }
}

function toRegistration(r: typeof s.registrations.$inferSelect): DeviceRegistration {
  return {
    deviceId: r.deviceId,
    uniqueId: r.uniqueId,
    boardType: r.boardType,
    ...defined({
      mac: r.mac,
      stationId: r.stationId,
      batchId: r.batchId,
      firmwareVersion: r.firmwareVersion,
    }),
    createdAt: r.createdAt,
  };
}

function secretsOf(r: Omit<DeviceRegistration, "createdAt">): Partial<DeviceRegistration> {
  return defined({ deviceSecret: r.deviceSecret, provisioningToken: r.provisioningToken });
}
