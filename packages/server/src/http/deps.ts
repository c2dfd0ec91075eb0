import type { Logger, UnitStore } from "@factory/core";
import type { EventBus } from "../events";
import type { TokenTable } from "./auth";

/** What the routes need; built once by `createApp`. */
export interface AppDeps {
  store: UnitStore;
  tokens: TokenTable;
  events: EventBus;
  logger: Logger;
  now: () => Date;
  /** Counts failed authentications per client (brute-force brake). */
  onAuthFailure: (ip: string) => void;
  /** Told the MAC and source address of every accepted heartbeat and report. */
  unitContacts: UnitContacts;
}

/**
 * Where units talk to this server from. The unit routes call `record` after each accepted
 * heartbeat and report (never with the body: no secrets); plugins `listen` (the debug station
 * reaches a failed unit at the address it reported from).
 */
export interface UnitContacts {
  /** Adds a listener; returns the function that removes it. */
  listen(listener: (mac: string, address: string) => void): () => void;
  record(mac: string, address: string): void;
}

export function createUnitContacts(log: Logger): UnitContacts {
  const listeners = new Set<(mac: string, address: string) => void>();
  return {
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    record(mac, address) {
      for (const l of listeners) {
        try {
          l(mac, address);
        } catch (error) {
          log.warn("unit contact listener failed", { error: (error as Error).message });
        }
      }
    },
  };
}

/** How far apart two requests may start and still share one deadline signal. */
const SHARE_MS = 250;
const shared = new Map<number, { signal: AbortSignal; until: number }>();

/**
 * A per-request deadline for store calls: fires between `ms - 250` and `ms` milliseconds from
 * now. Requests that start within the same quarter second share one timer, so the hot path
 * does not arm a timer per request.
 */
export function requestSignal(ms = 15_000): AbortSignal {
  const now = performance.now();
  const entry = shared.get(ms);
  if (entry && now < entry.until) return entry.signal;
  const signal = AbortSignal.timeout(ms);
  shared.set(ms, { signal, until: now + SHARE_MS });
  return signal;
}
