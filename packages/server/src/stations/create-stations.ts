import { readFileSync } from "node:fs";
import path from "node:path";
import {
  createHttpLabelBackend,
  createStoreLabelBackend,
  type LabelBackend,
  type Logger,
  noopLogger,
  type Printer,
  type SwitchDriver,
  type UnitStore,
} from "@factory/core";
import type { Hono } from "hono";
import type { EventBus } from "../events";
import type { AuthEnv } from "../http/auth";
import type { AppDeps } from "../http/deps";
import { parseStationsConfig, type StationsConfig } from "./config";
import { type ContactBook, createContactBook, recordContacts } from "./contact-book";
import { debugRoutes } from "./debug-routes";
import { DebugStation, storeDebugSink } from "./debug-station";
import { labelRoutes } from "./label-routes";
import { LabelRunner } from "./label-runner";
import { labelTemplateFromConfig } from "./label-template";
import { loadStationDriver } from "./load-drivers";

export interface StationsOptions {
  /** The `stations` section of the server config (validated here). */
  config: StationsConfig;
  store: UnitStore;
  events?: EventBus;
  logger?: Logger;
  /** Relative paths (key files, driver packages) resolve from here: the config file's directory. */
  baseDir?: string;
  /** Ready-made drivers instead of loading them by package name (integrators' scripts, tests). */
  drivers?: { switch?: SwitchDriver; printer?: Printer };
}

export interface RunningStations {
  label?: LabelRunner;
  debug?: DebugStation;
  contacts: ContactBook;
  /** Adds the contact recorder and the station routes; call before the unit routes are added. */
  mount(app: Hono<AuthEnv>, deps: AppDeps): void;
  /** Starts watching the ports. */
  start(): void;
  close(): Promise<void>;
}

/**
 * Builds the labeling and debug stations a server config asks for: loads the switch driver and
 * printer by package name (or takes the given ones), wires the label template and the backend
 * (this server's store, or another server over HTTP with a station token), and the debug
 * station's SSH settings. Nothing watches a port until `start()`.
 */
export async function createStations(o: StationsOptions): Promise<RunningStations> {
  const config = parseStationsConfig(o.config);
  const log = o.logger ?? noopLogger;
  const baseDir = o.baseDir ?? process.cwd();
  const contacts = createContactBook();
  const owned: Array<{ close(): Promise<void> }> = [];
  const switches = new Map<string, SwitchDriver>();
  const switchFor = async (ref: typeof config.switch): Promise<SwitchDriver> => {
    if (o.drivers?.switch) return o.drivers.switch;
    const key = JSON.stringify(ref);
    const existing = switches.get(key);
    if (existing) return existing;
    const created = await loadStationDriver("switch", ref!, { baseDir, logger: log });
    switches.set(key, created);
    owned.push(created);
    return created;
  };
  const controller = new AbortController();
  let label: LabelRunner | undefined;
  let debug: DebugStation | undefined;
  try {
    if (config.label) {
      const c = config.label;
      const sw = await switchFor(c.switch ?? config.switch);
      const printer =
        o.drivers?.printer ?? (await loadStationDriver("printer", c.printer, { baseDir, logger: log }));
      const backend = c.backend
        ? createHttpLabelBackend({ url: c.backend.url, token: c.backend.token })
        : announcing(createStoreLabelBackend(o.store, { actor: c.name }), o.store, o.events);
      label = new LabelRunner({
        switch: sw,
        port: c.port,
        printer,
        backend,
        template: labelTemplateFromConfig(c.template),
        askBeforePrint: c.askBeforePrint,
        ...(c.timeouts && { timeouts: c.timeouts }),
        logger: log,
      });
    }
    if (config.debug) {
      const c = config.debug;
      const sw = await switchFor(c.switch ?? config.switch);
      const keyFile = c.ssh.privateKeyFile && path.resolve(baseDir, c.ssh.privateKeyFile);
      debug = new DebugStation({
        switch: sw,
        port: c.port,
        sink: storeDebugSink(o.store, c.name),
        contacts,
        addressSources: c.addressSources,
        ssh: {
          port: c.ssh.port,
          username: c.ssh.username,
          connectTimeoutMs: c.ssh.connectTimeoutMs,
          ...(c.ssh.password !== undefined && { password: c.ssh.password }),
          ...(keyFile && { privateKey: readFileSync(keyFile) }),
          ...(c.ssh.passphrase !== undefined && { passphrase: c.ssh.passphrase }),
          ...(c.ssh.hostKeys.policy === "fingerprints" && { hostKeySha256: c.ssh.hostKeys.sha256 }),
        },
        commandTimeoutMs: c.commandTimeoutMs,
        maxOutputBytes: c.maxOutputBytes,
        logger: log,
      });
    }
  } catch (error) {
    await Promise.allSettled(owned.map((d) => d.close()));
    throw error;
  }
  let debugRun: Promise<void> | undefined;
  return {
    ...(label && { label }),
    ...(debug && { debug }),
    contacts,
    mount(app, deps) {
      recordContacts(deps, contacts);
      labelRoutes(app, deps, label);
      debugRoutes(app, deps, debug && { debug, port: config.debug!.port, signal: controller.signal });
    },
    start() {
      label?.start();
      debugRun ??= debug?.run({ signal: controller.signal }).catch((error: unknown) => {
        log.error("debug station stopped", { error: String(error) });
      });
    },
    async close() {
      controller.abort();
      await label?.close();
      await debugRun;
      await Promise.allSettled(owned.map((d) => d.close()));
    },
  };
}

/**
 * Adds the station routes to the app: those of `stations` when the server runs them, else the
 * pages and `POST /api/units/{mac}/label-rejections` only (stations on other hosts use it).
 */
export function mountStations(
  app: Hono<AuthEnv>,
  deps: AppDeps,
  stations: RunningStations | undefined,
): void {
  if (stations) stations.mount(app, deps);
  else {
    labelRoutes(app, deps, undefined);
    debugRoutes(app, deps, undefined);
  }
}

/** Publishes the unit's new state on the event bus after a print and a confirmation (dashboard). */
function announcing(backend: LabelBackend, store: UnitStore, events: EventBus | undefined): LabelBackend {
  if (!events) return backend;
  const announce = async (mac: string) => {
    const unit = await store.getUnit(mac).catch(() => undefined);
    if (unit)
      events.publish({
        type: "unit",
        mac: unit.mac,
        status: unit.status,
        ...(unit.port !== undefined && { port: unit.port }),
        at: unit.updatedAt.toISOString(),
      });
  };
  return {
    fetch: (mac, opts) => backend.fetch(mac, opts),
    reject: (mac, opts) => backend.reject(mac, opts),
    async printed(mac, receipt, opts) {
      await backend.printed(mac, receipt, opts);
      await announce(mac);
    },
    async confirm(mac, opts) {
      await backend.confirm(mac, opts);
      await announce(mac);
    },
  };
}
