import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createError, ErrorCodes, type Logger, noopLogger, type UnitStore } from "@factory/core";
import { boardLineRoutes } from "./board-line/routes";
import { createCdnHandler } from "./cdn";
import type { MasterKey } from "./crypto/envelope";
import { createEventBus, type EventBus } from "./events";
import { type AppOptions, createApp } from "./http/app";
import { createTokenTable, type TokenConfig } from "./http/auth";
import { createPgNotifyBridge } from "./pg-notify";
import {
  createStations,
  mountStations,
  type RunningStations,
  type StationsOptions,
} from "./stations/create-stations";
import { createPgUnitStore } from "./stores/pg-store";
import { createSqliteUnitStore } from "./stores/sqlite-store";
import { startStuckMonitor } from "./stuck";

export type DatabaseConfig =
  | { kind: "sqlite"; file: string; synchronous?: "normal" | "full" }
  | { kind: "postgres"; url: string; maxConnections?: number };

export interface ServerOptions {
  database: DatabaseConfig;
  masterKey: MasterKey;
  tokens: TokenConfig[];
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Directory served under /cdn/; no CDN when unset. */
  cdnRoot?: string;
  stuckAfterMs?: number;
  stuckCheckIntervalMs?: number;
  bodyLimitBytes?: number;
  rateLimitPerSecond?: number;
  authFailuresPerMinute?: number;
  /** How long shutdown waits for requests in flight (default 10 s). */
  shutdownGraceMs?: number;
  logger?: Logger;
  version?: string;
  /** The labeling and debug stations to run in this server (config `stations`). */
  stations?: StationsOptions["config"];
  /** Directory relative paths in `stations` resolve from (the config file's). */
  baseDir?: string;
  /** Ready-made station drivers instead of loading them by package name. */
  stationDrivers?: StationsOptions["drivers"];
  /** More routes on the app (e.g. `factory demo`'s page), added after the station and board-line routes. */
  plugins?: AppOptions["plugins"];
}

export interface RunningServer {
  url: string;
  port: number;
  store: UnitStore;
  events: EventBus;
  /** The stations this server runs, when configured. */
  stations?: RunningStations;
  /** Marks stuck units now (the monitor also does it periodically). */
  checkStuck(): Promise<string[]>;
  /** Stops accepting, lets requests in flight finish (bounded), closes the store. */
  close(): Promise<void>;
}

/**
 * Starts the production server: store (SQLite file or PostgreSQL, migrated), event bus
 * (LISTEN/NOTIFY between instances on PostgreSQL), HTTP API, CDN, stuck-unit monitor.
 *
 * @example
 * const server = await startServer({ database: { kind: "sqlite", file: ".factory/factory.db" }, masterKey, tokens });
 * console.log(server.url);
 */
export async function startServer(o: ServerOptions): Promise<RunningServer> {
  const log = o.logger ?? noopLogger;
  const store =
    o.database.kind === "sqlite"
      ? createSqliteUnitStore({
          file: o.database.file,
          masterKey: o.masterKey,
          logger: log,
          ...(o.database.synchronous && { synchronous: o.database.synchronous }),
        })
      : await createPgUnitStore({
          connectionString: o.database.url,
          masterKey: o.masterKey,
          logger: log,
          ...(o.database.maxConnections !== undefined && { maxConnections: o.database.maxConnections }),
        });
  const bridge =
    "pool" in store ? createPgNotifyBridge((store as { pool: import("pg").Pool }).pool, log) : undefined;
  const events = await createEventBus({ logger: log, ...(bridge && { bridge }) });
  const stations = o.stations
    ? await createStations({
        config: o.stations,
        store,
        events,
        logger: log,
        ...(o.baseDir !== undefined && { baseDir: o.baseDir }),
        ...(o.stationDrivers && { drivers: o.stationDrivers }),
      }).catch(async (error: unknown) => {
        await events.close();
        await store.close();
        throw error;
      })
    : undefined;
  const { listener: api } = createApp({
    store,
    tokens: createTokenTable(o.tokens),
    events,
    logger: log,
    ...(o.bodyLimitBytes !== undefined && { bodyLimitBytes: o.bodyLimitBytes }),
    ...(o.rateLimitPerSecond !== undefined && { rateLimitPerSecond: o.rateLimitPerSecond }),
    ...(o.authFailuresPerMinute !== undefined && { authFailuresPerMinute: o.authFailuresPerMinute }),
    ...(o.version !== undefined && { version: o.version }),
    plugins: [(a, deps) => mountStations(a, deps, stations), boardLineRoutes, ...(o.plugins ?? [])],
  });
  const cdn = o.cdnRoot ? createCdnHandler({ root: o.cdnRoot, logger: log }) : undefined;
  const server: Server = createServer((req, res) => {
    if (cdn && req.url?.startsWith("/cdn/") && !req.url.startsWith("/cdn/agent/")) void cdn(req, res);
    else void api(req, res);
  });
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 120_000;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause) =>
      reject(
        createError(
          "server",
          ErrorCodes.CONFIG_INVALID,
          `Cannot listen on ${o.host ?? "0.0.0.0"}:${o.port ?? 8080}`,
          { cause },
        ),
      ),
    );
    server.listen(o.port ?? 8080, o.host ?? "0.0.0.0", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = !o.host || o.host === "0.0.0.0" || o.host === "::" ? "127.0.0.1" : o.host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  const stuck = startStuckMonitor({
    store,
    events,
    logger: log,
    ...(o.stuckAfterMs !== undefined && { stuckAfterMs: o.stuckAfterMs }),
    ...(o.stuckCheckIntervalMs !== undefined && { intervalMs: o.stuckCheckIntervalMs }),
  });
  stations?.start();
  log.info("server listening", { url, database: o.database.kind });
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    events,
    ...(stations && { stations }),
    checkStuck: () => stuck.check(),
    close() {
      closing ??= (async () => {
        stuck.stop();
        log.info("server shutting down");
        await stations?.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await events.close();
        const grace = new Promise<"timeout">((resolve) =>
          setTimeout(() => resolve("timeout"), o.shutdownGraceMs ?? 10_000).unref(),
        );
        if ((await Promise.race([closed, grace])) === "timeout") {
          log.warn("closing connections still open after the grace period");
          server.closeAllConnections();
          await closed;
        }
        await store.close();
        log.info("server stopped");
      })();
      return closing;
    },
  };
}
