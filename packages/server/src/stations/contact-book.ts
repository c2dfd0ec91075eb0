import { tryNormalizeMac } from "@factory/core";
import type { AppDeps } from "../http/deps";

/** Where the debug station reaches a unit: its address, and its SSH port when it is not the configured one. */
export interface Contact {
  address: string;
  at: Date;
  /** Set only for units sharing one host (each on its own SSH port); otherwise the station's `ssh.port`. */
  sshPort?: number;
}

/**
 * Where each unit last talked to this server from: the source address of its heartbeats and
 * reports, which on the factory network is the unit's WAN address. The debug station uses it
 * to reach a unit over SSH without asking the switch.
 */
export interface ContactBook {
  record(mac: string, address: string): void;
  /**
   * The unit's SSH server listens on `port` instead of the station's configured one: for units
   * that share one host (the virtual factory's simulated units all answer on 127.0.0.1). Kept
   * when the unit's address is recorded again. A port belongs to one unit: the unit that had it
   * before is forgotten (it left; the port was given to another).
   */
  recordSshPort(mac: string, port: number): void;
  lookup(mac: string): Contact | undefined;
}

export function createContactBook(options: { max?: number; now?: () => Date } = {}): ContactBook {
  const max = options.max ?? 10_000;
  const now = options.now ?? (() => new Date());
  const entries = new Map<string, { address?: string; at?: Date; sshPort?: number }>();
  const put = (key: string, entry: { address?: string; at?: Date; sshPort?: number }) => {
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > max) entries.delete(entries.keys().next().value!);
  };
  return {
    record(mac, address) {
      const key = tryNormalizeMac(mac);
      if (!key || !address || address === "local") return;
      const sshPort = entries.get(key)?.sshPort;
      put(key, { address: address.replace(/^::ffff:/, ""), at: now(), ...(sshPort && { sshPort }) });
    },
    recordSshPort(mac, port) {
      const key = tryNormalizeMac(mac);
      if (!key || !Number.isInteger(port) || port < 1 || port > 65_535) return;
      for (const [other, entry] of entries)
        if (other !== key && entry.sshPort === port) entries.delete(other);
      put(key, { ...entries.get(key), sshPort: port });
    },
    lookup(mac) {
      const key = tryNormalizeMac(mac);
      const entry = key ? entries.get(key) : undefined;
      if (!entry?.address || !entry.at) return undefined;
      return { address: entry.address, at: entry.at, ...(entry.sshPort && { sshPort: entry.sshPort }) };
    },
  };
}

/** Records the source address of every accepted heartbeat and report (the unit routes report them). */
export function recordContacts(deps: Pick<AppDeps, "unitContacts">, book: ContactBook): void {
  deps.unitContacts.listen((mac, address) => book.record(mac, address));
}
