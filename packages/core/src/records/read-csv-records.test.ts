import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CSV_RECORD_COLUMNS } from "./columns";
import { formatCsvRow } from "./csv";
import { parseCsvRecords, readCsvRecords } from "./read-csv-records";

const header = formatCsvRow(CSV_RECORD_COLUMNS);
const cells = (deviceId: string, error: string) =>
  CSV_RECORD_COLUMNS.map((c) => (c === "device_id" ? deviceId : c === "error_message" ? error : ""));

describe("parseCsvRecords", () => {
  it("maps cells to column names and restores defused formula cells", () => {
    const text = header + formatCsvRow(cells("d1", "=1+2")) + formatCsvRow(cells("d2", "'quoted"));
    const rows = parseCsvRecords(text);
    expect(rows.map((r) => [r.device_id, r.error_message])).toEqual([
      ["d1", "=1+2"],
      ["d2", "'quoted"],
    ]);
  });

  it("rejects other columns, short rows and (unless allowed) a torn last row", () => {
    expect(() => parseCsvRecords("device_id,mac\r\n", "old.csv")).toThrow(/old\.csv: unexpected columns/);
    expect(() => parseCsvRecords(`${header}a,b\r\n`)).toThrow(/row 2 has 2 cells/);
    const torn = header + formatCsvRow(cells("d1", "x")) + formatCsvRow(cells("d2", "y")).slice(0, 10);
    expect(() => parseCsvRecords(torn)).toThrow(expect.objectContaining({ code: "RECORD_FAILED" }));
    expect(parseCsvRecords(torn, "f", { allowTornTail: true }).map((r) => r.device_id)).toEqual(["d1"]);
    expect(parseCsvRecords("")).toEqual([]);
  });
});

describe("readCsvRecords", () => {
  it("reads a file and reports a missing one as RECORD_FAILED", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "factory-read-"));
    try {
      const file = path.join(dir, "r.csv");
      await writeFile(file, header + formatCsvRow(cells("d1", "line\nbreak")));
      expect((await readCsvRecords(file))[0]!.error_message).toBe("line\nbreak");
      await expect(readCsvRecords(path.join(dir, "missing.csv"))).rejects.toMatchObject({
        code: "RECORD_FAILED",
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
