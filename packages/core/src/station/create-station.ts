import type { SignalOptions } from "../abort";
import type { BoardDriver } from "../contracts/board-driver";
import type { PortRef } from "../contracts/port";
import type { BatchResult, PortWatcher, Station } from "../contracts/station";
import { createError, ErrorCodes } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { createIdentityGuard } from "../pipeline/identity-guard";
import { type PlanSource, type ProvisionOptions, provisionDevice } from "../pipeline/provision";
import type { DeviceResult, PipelineEvent } from "../pipeline/types";
import { createPollingWatcher } from "./polling-watcher";
import { createLimiter } from "./semaphore";

/** Pipeline settings shared by every port of a station. */
export type StationPipelineOptions = Omit<
  ProvisionOptions,
  | "driver"
  | "port"
  | "boardType"
  | "plan"
  | "onEvent"
  | "signal"
  | "identityGuard"
  | "stationId"
  | "batchId"
  | "logger"
>;

export interface StationOptions {
  /** The seed's `station_id`. */
  id: string;
  driver: BoardDriver;
  ports: readonly PortRef[];
  boardType: string;
  plan: PlanSource;
  pipeline?: StationPipelineOptions;
  /** Hot-plug source for continuous mode; polls the driver's `probe` by default. */
  watcher?: PortWatcher;
  /** Probe interval of the default watcher, ms. */
  pollIntervalMs?: number;
  /** Most pipelines at once; defaults to the driver's `maxConcurrentSessions`, else every port. */
  concurrency?: number;
  /** Batch id for each pass; defaults to `<station>-YYYYMMDD-HHMMSS`. */
  batchId?: () => string;
  logger?: Logger;
}

/**
 * Creates a {@link Station}: one pipeline per port, all ports concurrently, one port's failure
 * never stalling another, the same identity on two ports refused.
 *
 * @example
 * const station = createStation({ id: "station_1", driver, ports, boardType: "esp32", plan });
 * station.onEvent((e) => e.type === "device-done" && console.log(e.port.path, e.result.status));
 * const batch = await station.runBatch({ limit: 10 });
 */
export function createStation(options: StationOptions): Station {
  const seen = new Set<string>();
  for (const port of options.ports) {
    if (seen.has(port.path)) {
      throw createError(
        "core",
        ErrorCodes.CONFIG_INVALID,
        `Port ${port.path} is listed twice in station ${options.id}`,
        {
          details: { station: options.id, port: port.path },
        },
      );
    }
    seen.add(port.path);
  }
  const listeners = new Set<(event: PipelineEvent) => void>();
  const busy = new Set<string>();
  const log = (options.logger ?? noopLogger).child({ station: options.id });
  const limit = createLimiter(
    Math.max(
      1,
      options.concurrency ?? options.driver.capabilities.maxConcurrentSessions ?? options.ports.length,
    ),
  );

  const emit = (event: PipelineEvent): void => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        log.error("Station event listener threw", { error: String(error) });
      }
    }
  };

  const provision = (
    port: PortRef,
    batchId: string,
    guard: ReturnType<typeof createIdentityGuard>,
    signal?: AbortSignal,
  ) => {
    busy.add(port.path);
    emit({ type: "port-state", port, state: "busy", at: new Date() });
    return limit(() =>
      provisionDevice({
        ...options.pipeline,
        driver: options.driver,
        port,
        boardType: options.boardType,
        plan: options.plan,
        identityGuard: guard,
        stationId: options.id,
        batchId,
        logger: log,
        onEvent: emit,
        ...(signal && { signal }),
      }),
    ).finally(() => busy.delete(port.path));
  };

  const summarise = (
    batchId: string,
    startedAt: Date,
    results: DeviceResult[],
    aborted: boolean,
  ): BatchResult => ({
    batchId,
    stationId: options.id,
    startedAt,
    finishedAt: new Date(),
    results,
    passed: results.filter((r) => r.status === "passed").length,
    failed: results.filter((r) => r.status === "failed").length,
    aborted,
  });

  const newBatchId = options.batchId ?? (() => `${options.id}-${timestamp(new Date())}`);

  return {
    id: options.id,
    ports: options.ports,
    driver: options.driver,

    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async runBatch({ signal, limit: max }: SignalOptions & { limit?: number } = {}) {
      const batchId = newBatchId();
      const startedAt = new Date();
      const guard = createIdentityGuard();
      const probes = await Promise.all(
        options.ports.map(async (port) => {
          try {
            return (await options.driver.probe(port, { signal })).present ? port : undefined;
          } catch (error) {
            log.warn(`Probe failed on ${port.path}`, { error: String(error) });
            return undefined;
          }
        }),
      );
      for (const [i, port] of options.ports.entries()) {
        emit({ type: "port-state", port, state: probes[i] ? "present" : "empty", at: new Date() });
      }
      const present = probes
        .filter((p): p is PortRef => p !== undefined)
        .slice(0, max ?? Number.POSITIVE_INFINITY);
      const results = await Promise.all(present.map((port) => provision(port, batchId, guard, signal)));
      return summarise(batchId, startedAt, results, signal?.aborted ?? false);
    },

    async runContinuous({ signal }: SignalOptions) {
      const batchId = newBatchId();
      const startedAt = new Date();
      const guard = createIdentityGuard();
      const results: DeviceResult[] = [];
      const running = new Set<Promise<void>>();
      /** Ports whose device was provisioned and has not been unplugged since. */
      const finished = new Set<string>();
      const watcher =
        options.watcher ??
        createPollingWatcher(options.driver, {
          intervalMs: options.pollIntervalMs ?? 500,
          isBusy: (port) => busy.has(port.path),
        });
      try {
        for await (const change of watcher.watch(options.ports, { signal })) {
          if (signal?.aborted) break;
          const { port } = change;
          if (change.type === "detached") {
            finished.delete(port.path);
            guard.releasePort(port.path);
            emit({ type: "port-state", port, state: "empty", at: new Date() });
            continue;
          }
          if (busy.has(port.path) || finished.has(port.path)) continue;
          emit({ type: "port-state", port, state: "present", at: new Date() });
          const task = provision(port, batchId, guard, signal).then((result) => {
            results.push(result);
            finished.add(port.path);
          });
          running.add(task);
          void task.finally(() => running.delete(task));
        }
      } finally {
        await Promise.allSettled([...running]);
      }
      return summarise(batchId, startedAt, results, signal?.aborted ?? false);
    },
  };
}

function timestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}
