import {
  type AuditEvent,
  computeMetrics,
  createError,
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
  type UnitFilter,
  type UnitReport,
  type UnitStore,
} from "@factory/core";
import { asc, eq, sql } from "drizzle-orm";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import type { MasterKey } from "../crypto/envelope";
import type { BoardRecordStore } from "./board-records";
import { migrationsFolder } from "./migrations";
import { pgBoardRecords } from "./pg-board-records";
import { createPgHeartbeatWriter } from "./pg-heartbeats";
import * as s from "./schema-pg";
import {
  keyConflict,
  notFound,
  PKG,
  prepareRegistration,
  prepareReport,
  registrationConflict,
  validDate,
} from "./shared";
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
import { nativeDate } from "./time-codec";
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
} from "./unit-rows";

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
type Row = UnitRow<Date>;

const toUnit = (r: Row): Unit => unitOf(r, nativeDate);

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
      return { registration: { ...toRegistration(existing, nativeDate), ...secretsOf(r) }, created: false };
    }
    const createdAt = now();
    await tx.insert(s.registrations).values(registrationValues(p, master, createdAt));
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
      throw heartbeatRefused(mac, (await wrap("reading a unit", () => getRow(db, mac)))?.status);
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
          if (!reportIsNew(existing, mac, fingerprint, report.status))
            return { unit: toUnit(existing!), created: false };
          const t = now();
          const values = reportValues(report, fingerprint, t, nativeDate);
          const [row] = await tx
            .insert(s.units)
            .values({ mac, createdAt: t, ...values })
            .onConflictDoUpdate({ target: s.units.mac, set: values })
            .returning();
          if (report.status === "ready") {
            await tx.insert(s.unitCredentials).values(sealCredentials(master, mac, report.credentials));
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
      const q = db
        .select()
        .from(s.units)
        .where(unitListWhere(s.units, filter, nativeDate))
        .orderBy(...unitListOrder(s.units));
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
      return row && openCredentials(master, m, row);
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
          await tx.update(s.units).set(labeledValues(t)).where(eq(s.units.mac, m));
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
          .set(labelPrintValues(s.units, now()))
          .where(labelPrintWhere(s.units, m))
          .returning();
        if (row) return toUnit(row);
        throw labelPrintRefused(m, await getRow(db, m));
      });
    },

    async markStuck(before, o) {
      guard(o);
      const rows = await wrap("marking stuck units", () =>
        db
          .update(s.units)
          .set(stuckValues(now()))
          .where(stuckWhere(s.units, before, nativeDate))
          .returning(),
      );
      return rows.map(toUnit).sort(byMac);
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
      const q = db
        .select()
        .from(s.registrations)
        .where(registrationWhere(s.registrations, filter))
        .orderBy(asc(s.registrations.seq));
      const rows = await wrap("listing registrations", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map((r) => toRegistration(r, nativeDate));
    },

    async upsertBatch(batch, o) {
      guard(o);
      const values = batchValues(batch, nativeDate);
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
        .where(batchWhere(s.batches, filter))
        .orderBy(...batchOrder(s.batches));
      const rows = await wrap("listing batches", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map((b) => toBatch(b, nativeDate));
    },

    async addDebugLog(input, o) {
      guard(o);
      const mac = normalizeMac(input.mac);
      const collectedAt = validDate(input.collectedAt, "collectedAt");
      return wrap("saving debug logs", () =>
        db.transaction(async (tx) => {
          await lock(tx, `unit:${mac}`);
          if (!(await getRow(tx, mac))) throw notFound(mac);
          const entry = newDebugLog(mac, collectedAt, input.entries);
          await tx.insert(s.debugLogs).values(debugLogValues(entry, nativeDate));
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
      return rows.map((l) => toDebugLog(l, nativeDate));
    },

    async appendAudit(event: AuditEvent, o) {
      guard(o);
      await wrap("writing the audit log", () =>
        db.insert(s.auditEvents).values(auditValues(event, nativeDate)),
      );
    },

    async listAudit(filter = {}, o) {
      guard(o);
      const q = db
        .select()
        .from(s.auditEvents)
        .where(auditWhere(s.auditEvents, filter))
        .orderBy(...auditOrder(s.auditEvents));
      const rows = await wrap("reading the audit log", async () =>
        filter.limit !== undefined ? await q.limit(filter.limit) : await q,
      );
      return rows.map((e) => toAuditEvent(e, nativeDate));
    },

    async metrics(range = {}, o) {
      guard(o);
      const rows = await wrap("computing metrics", () =>
        db
          .select(metricColumns(s.units))
          .from(s.units)
          .where(metricsWhere(s.units, range, nativeDate)),
      );
      return computeMetrics(rows.map((r) => toMetricRow(r, nativeDate)));
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
