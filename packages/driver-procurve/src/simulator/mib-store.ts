import { compareOid } from "./ber";
import { encodeVarBind, type SnmpValue } from "./message";

/** A stored value, or a function read at request time (sysUpTime). */
export type MibEntryValue = SnmpValue | (() => SnmpValue);

interface Entry {
  readonly oid: readonly number[];
  value: MibEntryValue;
  /** The encoded varbind of a static value, made on first use. */
  wire?: Buffer;
}

/** An instance as GETNEXT finds it, with its varbind ready for the wire. */
export interface FoundInstance {
  oid: readonly number[];
  value: SnmpValue;
  wire: Buffer;
}

/** What a GET finds for one OID. */
export type GetResult = SnmpValue | "noSuchObject" | "noSuchInstance";

/**
 * The agent's view of its MIB: instances in lexicographic OID order, plus the object types
 * (scalars and table columns) they belong to, so that a GET can tell noSuchObject (no such
 * object type here) from noSuchInstance (known column, no such row).
 */
export class MibStore {
  private readonly entries = new Map<string, Entry>();
  private readonly objects = new Map<string, readonly number[]>();
  private sorted: Entry[] | undefined;

  /** Declares an object type (a scalar's OID without `.0`, or a table column). */
  defineObject(oid: readonly number[]): void {
    this.objects.set(oid.join("."), oid);
  }

  /**
   * Sets an instance. Before the first read, instances are only collected (sorted once, on the
   * first GETNEXT); after it, a new instance is inserted in place, so a change costs O(n) moves
   * at worst and never a re-sort.
   */
  set(oid: readonly number[], value: MibEntryValue): void {
    const key = oid.join(".");
    const existing = this.entries.get(key);
    if (existing) {
      existing.value = value;
      existing.wire = undefined;
      return;
    }
    const entry = { oid, value };
    this.entries.set(key, entry);
    if (this.sorted) this.sorted.splice(this.after(oid, true), 0, entry);
  }

  delete(oid: readonly number[]): void {
    const key = oid.join(".");
    if (!this.entries.delete(key)) return;
    if (this.sorted) this.sorted.splice(this.after(oid, true), 1);
  }

  /** Drops every instance (object types stay). */
  clear(): void {
    this.entries.clear();
    this.sorted = undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  get(oid: readonly number[]): GetResult {
    const entry = this.entries.get(oid.join("."));
    if (entry) return resolve(entry.value);
    for (let n = oid.length - 1; n >= 1; n--) {
      if (this.objects.has(oid.slice(0, n).join("."))) return "noSuchInstance";
    }
    return "noSuchObject";
  }

  /** The first instance after `oid` in lexicographic order, or undefined at the end of the MIB. */
  next(oid: readonly number[]): FoundInstance | undefined {
    const entry = this.list()[this.after(oid, false)];
    if (!entry) return undefined;
    if (typeof entry.value === "function") {
      const value = entry.value();
      return { oid: entry.oid, value, wire: encodeVarBind({ oid: entry.oid, value }) };
    }
    entry.wire ??= encodeVarBind({ oid: entry.oid, value: entry.value });
    return { oid: entry.oid, value: entry.value, wire: entry.wire };
  }

  /** Index of the first entry after `oid` (or at it, with `inclusive`) in the sorted list. */
  private after(oid: readonly number[], inclusive: boolean): number {
    const list = this.list();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = compareOid(list[mid]!.oid, oid);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private list(): Entry[] {
    this.sorted ??= [...this.entries.values()].sort((a, b) => compareOid(a.oid, b.oid));
    return this.sorted;
  }
}

function resolve(value: MibEntryValue): SnmpValue {
  return typeof value === "function" ? value() : value;
}
