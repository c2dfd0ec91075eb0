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
}

/** A per-request deadline for store calls. */
export function requestSignal(ms = 15_000): AbortSignal {
  return AbortSignal.timeout(ms);
}
