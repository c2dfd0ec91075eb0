import type { Logger, UnitStore } from "@factory/core";
import type { EventBus } from "./events";

export interface StuckMonitorOptions {
  store: UnitStore;
  events: EventBus;
  logger: Logger;
  /** Silence after which a building unit is stuck (default 5 minutes). */
  stuckAfterMs?: number;
  /** How often to look (default a quarter of `stuckAfterMs`, at most 30 s). */
  intervalMs?: number;
  now?: () => Date;
  /** Called with the units that just became stuck (alerting hook). */
  onStuck?: (macs: string[]) => void;
}

/**
 * Marks building units whose heartbeats stopped as `stuck`: logs a warning (an alert line),
 * writes an audit event, announces it to the dashboard and calls `onStuck`.
 */
export function startStuckMonitor(o: StuckMonitorOptions): { check(): Promise<string[]>; stop(): void } {
  const after = o.stuckAfterMs ?? 5 * 60_000;
  const now = o.now ?? (() => new Date());
  let running: Promise<string[]> | undefined;
  const check = async (): Promise<string[]> => {
    if (running) return running;
    running = (async () => {
      const t = now();
      const stuck = await o.store.markStuck(new Date(t.getTime() - after), {
        signal: AbortSignal.timeout(15_000),
      });
      const macs = stuck.map((u) => u.mac);
      if (macs.length > 0) {
        o.logger.warn("units stuck: heartbeats stopped without a final report", {
          macs,
          ports: stuck.map((u) => u.port ?? "?"),
          stuckAfterMs: after,
        });
        for (const u of stuck) {
          await o.store.appendAudit({
            at: t,
            actor: "server",
            action: "unit.stuck",
            mac: u.mac,
            details: { port: u.port },
          });
        }
        o.events.publish({ type: "stuck", macs, at: t.toISOString() });
        for (const u of stuck) {
          o.events.publish({
            type: "unit",
            mac: u.mac,
            status: "stuck",
            ...(u.port !== undefined && { port: u.port }),
            at: t.toISOString(),
          });
        }
        o.onStuck?.(macs);
      }
      return macs;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(
    () => void check().catch((error: Error) => o.logger.warn("stuck check failed", { error: error.message })),
    o.intervalMs ?? Math.min(30_000, Math.max(1000, after / 4)),
  );
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
