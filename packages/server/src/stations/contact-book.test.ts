import { describe, expect, it } from "vitest";
import { createContactBook } from "./contact-book";

describe("contact book", () => {
  const at = new Date("2026-01-02T03:04:05Z");

  it("keeps each unit's last address (IPv4-mapped IPv6 shortened) and ignores in-process callers", () => {
    const book = createContactBook({ now: () => at });
    book.record("AA-BB-CC-00-00-01", "::ffff:192.168.100.105");
    book.record("aa:bb:cc:00:00:02", "local");
    expect(book.lookup("aa:bb:cc:00:00:01")).toEqual({ address: "192.168.100.105", at });
    expect(book.lookup("aa:bb:cc:00:00:02")).toBeUndefined();
  });

  it("a unit's own SSH port is kept across later reports; a unit without an address is not found", () => {
    const book = createContactBook({ now: () => at });
    book.recordSshPort("aa:bb:cc:00:00:01", 40_022);
    expect(book.lookup("aa:bb:cc:00:00:01")).toBeUndefined();
    book.record("aa:bb:cc:00:00:01", "127.0.0.1");
    book.record("aa:bb:cc:00:00:01", "127.0.0.1");
    expect(book.lookup("aa:bb:cc:00:00:01")).toEqual({ address: "127.0.0.1", at, sshPort: 40_022 });
    book.recordSshPort("aa:bb:cc:00:00:01", 0);
    expect(book.lookup("aa:bb:cc:00:00:01")?.sshPort).toBe(40_022);
  });

  it("a port given to another unit is taken from the unit that had it (no collection from the wrong unit)", () => {
    const book = createContactBook({ now: () => at });
    book.recordSshPort("aa:bb:cc:00:00:01", 40_022);
    book.record("aa:bb:cc:00:00:01", "127.0.0.1");
    book.recordSshPort("aa:bb:cc:00:00:02", 40_022);
    book.record("aa:bb:cc:00:00:02", "127.0.0.1");
    expect(book.lookup("aa:bb:cc:00:00:01")).toBeUndefined();
    expect(book.lookup("aa:bb:cc:00:00:02")?.sshPort).toBe(40_022);
  });

  it("holds at most `max` units, forgetting the one heard from longest ago", () => {
    const book = createContactBook({ max: 2 });
    book.record("aa:bb:cc:00:00:01", "10.0.0.1");
    book.record("aa:bb:cc:00:00:02", "10.0.0.2");
    book.record("aa:bb:cc:00:00:01", "10.0.0.1");
    book.record("aa:bb:cc:00:00:03", "10.0.0.3");
    expect(book.lookup("aa:bb:cc:00:00:02")).toBeUndefined();
    expect(book.lookup("aa:bb:cc:00:00:01")?.address).toBe("10.0.0.1");
    expect(book.lookup("aa:bb:cc:00:00:03")?.address).toBe("10.0.0.3");
  });
});
