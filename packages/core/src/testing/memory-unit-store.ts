import { type SignalOptions, throwIfAborted } from "../abort";
import type {
  AuditEvent,
  BatchSummary,
  DebugLog,
  DeviceRegistration,
  Heartbeat,
  IdempotentOptions,
  Unit,
  UnitCredentials,
  UnitFilter,
  UnitReport,
  UnitStore,
} from "../contracts/unit-store";
import { createError, ErrorCodes } from "../errors";
import { normalizeMac } from "../mac";
import { unitStoreErrors } from "../unit-store/errors";
import { computeMetrics } from "../unit-store/metrics";
import { stableJson } from "../unit-store/stable-json";
import { validDate as checkDate, normaliseRegistration, validateUnitReport } from "../unit-store/validation";

export interface MemoryUnitStoreOptions {
  /** Clock used for `createdAt`/`updatedAt` (tests pass a fake one). */
  now?: () => Date;
}

interface Entry {
  unit: Unit;
  credentials?: UnitCredentials;
  fingerprint?: string;
  labelPrints: number;
}

const PKG = "core/memory-store";
const { invalid, notFound, transition, keyConflict, registrationConflict } = unitStoreErrors(PKG);

/**
 * An in-memory {@link UnitStore} with the same behaviour as the SQL stores (it runs the same
 * conformance suite). For tests, demos and integrator scripts that need no persistence.
 *
 * @example
 * const store = createMemoryUnitStore();
 * await store.recordHeartbeat({ mac: "AA-BB-CC-DD-EE-01", status: "building", timestamp: new Date() });
 */
export function createMemoryUnitStore(options: MemoryUnitStoreOptions = {}): UnitStore {
  const now = options.now ?? (() => new Date());
  const units = new Map<string, Entry>();
  const keys = new Map<string, { mac: string; fingerprint: string }>();
  const registrations = new Map<string, { reg: DeviceRegistration; fingerprint: string }>();
  const batches = new Map<string, BatchSummary>();
  const debugLogs: DebugLog[] = [];
  const audit: AuditEvent[] = [];
  let closed = false;
  let seq = 0;

  const guard = (o?: SignalOptions): void => {
    throwIfAborted(o?.signal, PKG);
    if (closed) throw createError(PKG, ErrorCodes.STORE_ERROR, "The store is closed");
  };
  const copy = (u: Unit): Unit => structuredClone(u);

  return {
    async recordHeartbeat(hb: Heartbeat, o?: SignalOptions) {
      guard(o);
      const mac = normalizeMac(hb.mac);
      const at = validDate(hb.timestamp, "timestamp");
      const entry = units.get(mac);
      const t = now();
      if (!entry) {
        const unit: Unit = {
          mac,
          status: "building",
          ...(hb.stage !== undefined && { stage: hb.stage }),
          ...(hb.port !== undefined && { port: hb.port }),
          lastHeartbeat: at,
          createdAt: t,
          updatedAt: t,
          reprints: 0,
          hasCredentials: false,
        };
        units.set(mac, { unit, labelPrints: 0 });
        return copy(unit);
      }
      const u = entry.unit;
      if (u.status !== "building" && u.status !== "stuck") throw transition(mac, u.status, "building");
      u.status = "building";
      if (hb.stage !== undefined) u.stage = hb.stage;
      if (hb.port !== undefined) u.port = hb.port;
      u.lastHeartbeat = at;
      u.updatedAt = t;
      return copy(u);
    },

    async recordReport(report: UnitReport, o?: IdempotentOptions) {
      guard(o);
      const mac = normalizeMac(report.mac);
      validateUnitReport(report, PKG);
      const fingerprint = stableJson({ ...report, mac });
      const key = o?.idempotencyKey;
      if (key !== undefined) {
        const seen = keys.get(key);
        if (seen && (seen.mac !== mac || seen.fingerprint !== fingerprint)) throw keyConflict(mac);
      }
      const entry = units.get(mac);
      if (entry && entry.fingerprint !== undefined) {
        if (entry.fingerprint === fingerprint && entry.unit.status !== "labeled") {
          return { unit: copy(entry.unit), created: false };
        }
        throw transition(mac, entry.unit.status, report.status);
      }
      if (entry && entry.unit.status !== "building" && entry.unit.status !== "stuck") {
        throw transition(mac, entry.unit.status, report.status);
      }
      const t = now();
      const unit: Unit = {
        mac,
        status: report.status,
        ...(entry?.unit.stage !== undefined && { stage: entry.unit.stage }),
        ...(entry?.unit.port !== undefined && { port: entry.unit.port }),
        ...(entry?.unit.lastHeartbeat !== undefined && { lastHeartbeat: entry.unit.lastHeartbeat }),
        ...(report.serial !== undefined && { serial: report.serial }),
        ...(report.buildTime !== undefined && { buildTime: report.buildTime }),
        ...(report.buildDurationSeconds !== undefined && {
          buildDurationSeconds: report.buildDurationSeconds,
        }),
        ...(report.testResults !== undefined && { testResults: { ...report.testResults } }),
        ...(report.status === "failed" &&
          report.failedTests !== undefined && { failedTests: [...report.failedTests] }),
        ...(report.status === "failed" && report.errorLog !== undefined && { errorLog: report.errorLog }),
        ...(report.status === "failed" &&
          report.diagnosticData !== undefined && { diagnosticData: report.diagnosticData }),
        createdAt: entry?.unit.createdAt ?? t,
        updatedAt: t,
        reprints: 0,
        hasCredentials: report.status === "ready",
      };
      units.set(mac, {
        unit,
        fingerprint,
        labelPrints: 0,
        ...(report.status === "ready" && { credentials: { ...report.credentials } }),
      });
      if (key !== undefined) keys.set(key, { mac, fingerprint });
      return { unit: copy(unit), created: true };
    },

    async getUnit(mac, o) {
      guard(o);
      const u = units.get(normalizeMac(mac))?.unit;
      return u && copy(u);
    },

    async listUnits(filter: UnitFilter = {}, o?: SignalOptions) {
      guard(o);
      const statuses = filter.status === undefined ? undefined : [filter.status].flat();
      return [...units.values()]
        .map((e) => e.unit)
        .filter((u) => !statuses || statuses.includes(u.status))
        .filter((u) => !filter.since || u.updatedAt >= filter.since)
        .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime() || a.mac.localeCompare(b.mac))
        .slice(0, filter.limit ?? Number.POSITIVE_INFINITY)
        .map(copy);
    },

    async getCredentials(mac, o) {
      guard(o);
      const c = units.get(normalizeMac(mac))?.credentials;
      return c && { ...c };
    },

    async deleteCredentials(mac, o) {
      guard(o);
      const entry = units.get(normalizeMac(mac));
      if (!entry?.credentials) return false;
      delete entry.credentials;
      entry.unit.hasCredentials = false;
      entry.unit.status = "labeled";
      entry.unit.labeledAt = now();
      entry.unit.updatedAt = entry.unit.labeledAt;
      return true;
    },

    async deleteUnit(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const existed = units.delete(m);
      for (let i = debugLogs.length - 1; i >= 0; i--) if (debugLogs[i]!.mac === m) debugLogs.splice(i, 1);
      for (const [k, v] of keys) if (v.mac === m) keys.delete(k);
      return existed;
    },

    async recordLabelPrint(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      const entry = units.get(m);
      if (!entry) throw notFound(m);
      if (entry.unit.status !== "ready") throw transition(m, entry.unit.status, "printed");
      entry.labelPrints += 1;
      entry.unit.reprints = Math.max(0, entry.labelPrints - 1);
      entry.unit.updatedAt = now();
      return copy(entry.unit);
    },

    async markStuck(before, o) {
      guard(o);
      const out: Unit[] = [];
      const t = now();
      for (const { unit } of units.values()) {
        if (unit.status === "building" && unit.lastHeartbeat && unit.lastHeartbeat < before) {
          unit.status = "stuck";
          unit.updatedAt = t;
          out.push(copy(unit));
        }
      }
      return out;
    },

    async addRegistration(registration, o?: IdempotentOptions) {
      guard(o);
      return addOne(registration);
    },

    async addRegistrations(list, o) {
      guard(o);
      const prepared = list.map((r) => prepareRegistration(r));
      const seen = new Map<string, string>();
      for (const p of prepared) {
        const existing = registrations.get(p.reg.deviceId)?.fingerprint ?? seen.get(p.reg.deviceId);
        if (existing !== undefined && existing !== p.fingerprint) throw registrationConflict(p.reg.deviceId);
        seen.set(p.reg.deviceId, p.fingerprint);
      }
      return list.map((r) => addOne(r));
    },

    async listRegistrations(filter = {}, o) {
      guard(o);
      return [...registrations.values()]
        .map((r) => r.reg)
        .filter((r) => filter.batchId === undefined || r.batchId === filter.batchId)
        .filter((r) => filter.stationId === undefined || r.stationId === filter.stationId)
        .slice(0, filter.limit ?? Number.POSITIVE_INFINITY)
        .map(({ deviceSecret: _s, provisioningToken: _t, ...rest }) => structuredClone(rest));
    },

    async upsertBatch(batch, o) {
      guard(o);
      if (!batch.batchId) throw invalid("batchId is required");
      batches.set(batch.batchId, structuredClone(batch));
    },

    async listBatches(filter = {}, o) {
      guard(o);
      return [...batches.values()]
        .filter((b) => filter.stationId === undefined || b.stationId === filter.stationId)
        .sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || a.batchId.localeCompare(b.batchId))
        .slice(0, filter.limit ?? Number.POSITIVE_INFINITY)
        .map((b) => structuredClone(b));
    },

    async addDebugLog(log, o) {
      guard(o);
      const mac = normalizeMac(log.mac);
      if (!units.has(mac)) throw notFound(mac);
      const entry: DebugLog = {
        id: `log-${++seq}`,
        mac,
        collectedAt: validDate(log.collectedAt, "collectedAt"),
        entries: { ...log.entries },
      };
      debugLogs.push(entry);
      return structuredClone(entry);
    },

    async listDebugLogs(mac, o) {
      guard(o);
      const m = normalizeMac(mac);
      return debugLogs
        .filter((l) => l.mac === m)
        .sort((a, b) => a.collectedAt.getTime() - b.collectedAt.getTime())
        .map((l) => structuredClone(l));
    },

    async appendAudit(event, o) {
      guard(o);
      audit.push({
        ...structuredClone(event),
        id: `audit-${++seq}`,
        ...(event.mac !== undefined && { mac: normalizeMac(event.mac) }),
      });
    },

    async listAudit(filter = {}, o) {
      guard(o);
      const mac = filter.mac === undefined ? undefined : normalizeMac(filter.mac);
      return audit
        .map((e, i) => ({ e, i }))
        .filter(({ e }) => mac === undefined || e.mac === mac)
        .filter(({ e }) => filter.action === undefined || e.action === filter.action)
        .sort((a, b) => b.e.at.getTime() - a.e.at.getTime() || b.i - a.i)
        .slice(0, filter.limit ?? Number.POSITIVE_INFINITY)
        .map(({ e }) => structuredClone(e));
    },

    async metrics(range = {}, o) {
      guard(o);
      const rows = [];
      for (const { unit: u, labelPrints } of units.values()) {
        const buildTime = u.buildTime;
        if (buildTime === undefined) continue;
        if ((range.since && buildTime < range.since) || (range.until && buildTime >= range.until)) continue;
        rows.push({ ...u, buildTime, labelPrints });
      }
      return computeMetrics(rows);
    },

    async close() {
      closed = true;
    },
  };

  function addOne(registration: Omit<DeviceRegistration, "createdAt">) {
    const p = prepareRegistration(registration);
    const existing = registrations.get(p.reg.deviceId);
    if (existing) {
      if (existing.fingerprint !== p.fingerprint) throw registrationConflict(p.reg.deviceId);
      return {
        registration: { ...structuredClone(existing.reg), ...secretsOf(registration) },
        created: false,
      };
    }
    const reg = { ...p.reg, createdAt: now() };
    registrations.set(reg.deviceId, { reg, fingerprint: p.fingerprint });
    return { registration: structuredClone(reg), created: true };
  }
}

function secretsOf(r: Omit<DeviceRegistration, "createdAt">): Partial<DeviceRegistration> {
  return {
    ...(r.deviceSecret !== undefined && { deviceSecret: r.deviceSecret }),
    ...(r.provisioningToken !== undefined && { provisioningToken: r.provisioningToken }),
  };
}

function prepareRegistration(r: Omit<DeviceRegistration, "createdAt">) {
  const reg = normaliseRegistration(r, PKG);
  return { reg, fingerprint: stableJson(reg) };
}

function validDate(value: unknown, field: string): Date {
  return checkDate(value, field, PKG);
}
