import type { Unit } from "@factory/core";
import { type AnyColumn, and, eq, lt, type SQL, sql } from "drizzle-orm";
import type { TimeCodec } from "./time-codec";

// The `units` writes of the lifecycle steps after the report, the same in both dialects (the
// statements run in each dialect's own transaction).

/** `deleteCredentials`: the unit is labeled at `t`; its report may no longer be repeated. */
export function labeledValues<T>(t: T) {
  return { status: "labeled" as const, labeledAt: t, updatedAt: t, reportFingerprint: null };
}

/** `recordLabelPrint`: only a `ready` unit counts a print. */
export function labelPrintWhere(t: { mac: AnyColumn; status: AnyColumn }, mac: string): SQL | undefined {
  return and(eq(t.mac, mac), eq(t.status, "ready"));
}

/** `recordLabelPrint`: one more print, counted in the database (concurrent prints all count). */
export function labelPrintValues<T>(t: { labelPrints: AnyColumn }, now: T) {
  return { labelPrints: sql`${t.labelPrints} + 1`, updatedAt: now };
}

/** `markStuck`: the building units whose last heartbeat came before `before`. */
export function stuckWhere<T>(
  t: { status: AnyColumn; lastHeartbeat: AnyColumn },
  before: Date,
  time: TimeCodec<T>,
): SQL | undefined {
  return and(eq(t.status, "building"), lt(t.lastHeartbeat, time.toDb(before)));
}

/** `markStuck`: the unit is stuck as of `t`. */
export function stuckValues<T>(t: T) {
  return { status: "stuck" as const, updatedAt: t };
}

/** `markStuck` returns the units it marked in MAC order. */
export function byMac(a: Unit, b: Unit): number {
  return a.mac.localeCompare(b.mac);
}
