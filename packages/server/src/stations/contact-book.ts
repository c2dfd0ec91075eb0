import { tryNormalizeMac } from "@factory/core";
import type { AppDeps } from "../http/deps";

/**
 * Where each unit last talked to this server from: the source address of its heartbeats and
 * reports, which on the factory network is the unit's WAN address. The debug station uses it
 * to reach a unit over SSH without asking the switch.
 */
export interface ContactBook {
  record(mac: string, address: string): void;
  lookup(mac: string): { address: string; at: Date } | undefined;
}

export function createContactBook(options: { max?: number; now?: () => Date } = {}): ContactBook {
  const max = options.max ?? 10_000;
  const now = options.now ?? (() => new Date());
  const entries = new Map<string, { address: string; at: Date }>();
  return {
    record(mac, address) {
      const key = tryNormalizeMac(mac);
      if (!key || !address || address === "local") return;
      entries.delete(key);
      entries.set(key, { address: address.replace(/^::ffff:/, ""), at: now() });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
    lookup(mac) {
      const key = tryNormalizeMac(mac);
      return key ? entries.get(key) : undefined;
    },
  };
}

/** Records the source address of every accepted heartbeat and report (the unit routes report them). */
export function recordContacts(deps: Pick<AppDeps, "unitContacts">, book: ContactBook): void {
  deps.unitContacts.listen((mac, address) => book.record(mac, address));
}
