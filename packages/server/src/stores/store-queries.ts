import { normalizeMac, type UnitFilter } from "@factory/core";
import { type AnyColumn, and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { TimeCodec } from "./time-codec";

// The where and order-by clauses of the unit store's listings, built once on either dialect's
// tables (the column names are the same in both schemas; only the time values differ).

/** `listUnits`: the status and `updatedAt` filters. */
export function unitListWhere<T>(
  t: { status: AnyColumn; updatedAt: AnyColumn },
  filter: UnitFilter,
  time: TimeCodec<T>,
): SQL | undefined {
  const where: SQL[] = [];
  if (filter.status !== undefined) where.push(inArray(t.status, [filter.status].flat()));
  if (filter.since) where.push(gte(t.updatedAt, time.toDb(filter.since)));
  return and(...where);
}

/** `listUnits`: newest first by `updatedAt`, then by MAC. */
export function unitListOrder(t: { updatedAt: AnyColumn; mac: AnyColumn }): SQL[] {
  return [desc(t.updatedAt), asc(t.mac)];
}

/** `metrics`: the units with a build time in `[since, until)`. */
export function metricsWhere<T>(
  t: { buildTime: AnyColumn },
  range: { since?: Date; until?: Date },
  time: TimeCodec<T>,
): SQL | undefined {
  const where: SQL[] = [sql`${t.buildTime} is not null`];
  if (range.since) where.push(gte(t.buildTime, time.toDb(range.since)));
  if (range.until) where.push(lt(t.buildTime, time.toDb(range.until)));
  return and(...where);
}

type MetricColumn = "status" | "buildTime" | "buildDurationSeconds" | "failedTests" | "labelPrints";

/** The `units` columns the metrics read (a select list). */
export function metricColumns<C extends Record<MetricColumn, AnyColumn>>(t: C): Pick<C, MetricColumn> {
  return {
    status: t.status,
    buildTime: t.buildTime,
    buildDurationSeconds: t.buildDurationSeconds,
    failedTests: t.failedTests,
    labelPrints: t.labelPrints,
  };
}

/** `listRegistrations`: the batch and station filters. */
export function registrationWhere(
  t: { batchId: AnyColumn; stationId: AnyColumn },
  filter: { batchId?: string; stationId?: string },
): SQL | undefined {
  const where: SQL[] = [];
  if (filter.batchId !== undefined) where.push(eq(t.batchId, filter.batchId));
  if (filter.stationId !== undefined) where.push(eq(t.stationId, filter.stationId));
  return and(...where);
}

/** `listBatches`: the station filter. */
export function batchWhere(t: { stationId: AnyColumn }, filter: { stationId?: string }): SQL | undefined {
  return filter.stationId !== undefined ? eq(t.stationId, filter.stationId) : undefined;
}

/** `listBatches`: latest start first, then by batch id. */
export function batchOrder(t: { startedAt: AnyColumn; batchId: AnyColumn }): SQL[] {
  return [desc(t.startedAt), asc(t.batchId)];
}

/** `listAudit`: the MAC (normalised) and action filters. */
export function auditWhere(
  t: { mac: AnyColumn; action: AnyColumn },
  filter: { mac?: string; action?: string },
): SQL | undefined {
  const where: SQL[] = [];
  if (filter.mac !== undefined) where.push(eq(t.mac, normalizeMac(filter.mac)));
  if (filter.action !== undefined) where.push(eq(t.action, filter.action));
  return and(...where);
}

/** `listAudit`: newest first, then the latest written first. */
export function auditOrder(t: { at: AnyColumn; id: AnyColumn }): SQL[] {
  return [desc(t.at), desc(t.id)];
}
