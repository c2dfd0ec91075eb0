import { compareOid } from "./ber";
import type { SnmpValue } from "./message";

/** A stored value, or a function read at request time (sysUpTime). */
export type MibEntryValue = SnmpValue | (() => SnmpValue);

interface Entry {
  oid: readonly number[];
  value: MibEntryValue;
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

  /** Sets an instance. Its object type must be declared before (programming error otherwise). */
  set(oid: readonly number[], value: MibEntryValue): void {
    const key = oid.join(".");
    if (!this.entries.has(key)) this.sorted = undefined;
    this.entries.set(key, { oid, value });
  }

  delete(oid: readonly number[]): void {
    if (this.entries.delete(oid.join("."))) this.sorted = undefined;
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
  next(oid: readonly number[]): { oid: readonly number[]; value: SnmpValue } | undefined {
    const list = this.list();
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareOid(list[mid]!.oid, oid) <= 0) lo = mid + 1;
      else hi = mid;
    }
    const entry = list[lo];
    return entry ? { oid: entry.oid, value: resolve(entry.value) } : undefined;
  }

  private list(): Entry[] {
    this.sorted ??= [...this.entries.values()].sort((a, b) => compareOid(a.oid, b.oid));
    return this.sorted;
  }
}

function resolve(value: MibEntryValue): SnmpValue {
  return typeof value === "function" ? value() : value;
}
