import type { SignalOptions } from "../abort";

/** A front-panel port as the operator reads it, with its SNMP identities. */
export interface SwitchPort {
  /** Front-panel name: `21`, `A1`, `Trk1`. Config refers to ports by this name. */
  name: string;
  ifIndex: number;
  /** Bridge port number, when it differs from ifIndex. */
  bridgePort?: number;
  alias?: string;
  operStatus: "up" | "down" | "unknown";
  /** Trunks, uplinks and ports configured as such: their MACs are never reported as arrivals. */
  uplink: boolean;
}

/** One forwarding-database entry: a MAC learned on a port. */
export interface FdbEntry {
  /** Lower-case `aa:bb:cc:dd:ee:ff`. */
  mac: string;
  /** Front-panel port name. */
  port: string;
  vlan?: number;
}

export interface ArpEntry {
  mac: string;
  ip: string;
  ifIndex?: number;
}

export interface SwitchIdentity {
  sysDescr: string;
  sysObjectId?: string;
  model?: string;
  firmware?: string;
  /** Which MIB the FDB was read from. */
  fdbSource?: "q-bridge" | "bridge" | "cli";
}

/** What the switch reports over time. `at` is the time the event was observed. */
export type SwitchEvent =
  | { type: "link-up" | "link-down"; port: string; at: Date }
  | { type: "mac-learned" | "mac-gone"; port: string; mac: string; vlan?: number; at: Date }
  | { type: "health"; ok: boolean; error?: { code: string; message: string }; at: Date };

export interface WatchOptions extends SignalOptions {
  /** Only these front-panel ports; all non-uplink ports otherwise. */
  ports?: string[];
  /** FDB poll interval when traps are not configured, ms. */
  pollIntervalMs?: number;
}

export interface SwitchCapabilities {
  /** Link traps can be received (a trap listener is configured). */
  traps: boolean;
  /** MAC → IP from the switch's ARP table. */
  arp: boolean;
  /** Reads over an SSH CLI rather than SNMP. */
  cli: boolean;
}

/**
 * A switch used as a sensor: which MAC is on which port, and when that changes.
 * Every call rejects with `SWITCH_UNREACHABLE`, `SWITCH_AUTH_FAILED`, `SWITCH_UNSUPPORTED`
 * (neither bridge MIB answers), `TIMEOUT` or `ABORTED`.
 */
export interface SwitchDriver {
  readonly name: string;
  readonly capabilities: SwitchCapabilities;
  identify(options?: SignalOptions): Promise<SwitchIdentity>;
  listPorts(options?: SignalOptions): Promise<SwitchPort[]>;
  /** Learned MACs on one front-panel port (self and management entries excluded). */
  macsOnPort(port: string, options?: SignalOptions): Promise<FdbEntry[]>;
  /** Where a MAC is learned, ignoring uplinks; undefined if nowhere. */
  findMac(mac: string, options?: SignalOptions): Promise<FdbEntry | undefined>;
  /** The ARP table. Rejects `NOT_SUPPORTED` when `capabilities.arp` is false. */
  arp(options?: SignalOptions): Promise<ArpEntry[]>;
  /**
   * Events until the signal fires. The first event is `health` (ok once the watcher has read
   * the switch's current state, which is not itself reported as events). Errors do not end the
   * iteration: they are reported as `health` events and the watcher keeps going. After a
   * `link-up`, the MACs then seen on that port are reported as `mac-learned` even if they were
   * there before (the unit was re-plugged). Ends (returns) on abort; throws only for bad input
   * (`PORT_NOT_FOUND` for a port the switch does not have).
   */
  watch(options?: WatchOptions): AsyncIterable<SwitchEvent>;
  close(): Promise<void>;
}
