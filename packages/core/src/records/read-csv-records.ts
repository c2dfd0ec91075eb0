import { readFile } from "node:fs/promises";
import type { SignalOptions } from "../abort";
import { createError, ErrorCodes } from "../errors";
import { CSV_RECORD_COLUMNS, type CsvRecordColumn } from "./columns";
import { parseCsv, restoreFormula } from "./csv";

/** One row of a record file, by column name, values as written (formula prefixes removed). */
export type CsvRecordRow = Record<CsvRecordColumn, string>;

/** Options of {@link readCsvRecords}. */
export interface ReadCsvRecordsOptions extends SignalOptions {
  /** Return the complete rows of a file whose last row is torn instead of rejecting. */
  allowTornTail?: boolean;
}

/**
 * Reads a `factory_records_YYYYMMDD.csv` file. Rejects with `RECORD_FAILED` when the header is not
 * the expected one, a row has the wrong number of cells, or (unless `allowTornTail`) the last row
 * is incomplete.
 */
export async function readCsvRecords(
  file: string,
  options: ReadCsvRecordsOptions = {},
): Promise<CsvRecordRow[]> {
  const text = await readFile(file, { encoding: "utf8", signal: options.signal }).catch((e: unknown) => {
    throw createError("core", ErrorCodes.RECORD_FAILED, `Could not read ${file}`, {
      cause: e,
      details: { file },
    });
  });
  return parseCsvRecords(text, file, options);
}

/** {@link readCsvRecords} on text already in memory. `source` names it in errors. */
export function parseCsvRecords(
  text: string,
  source = "records",
  options: { allowTornTail?: boolean } = {},
): CsvRecordRow[] {
  const fail = (message: string, details: Record<string, unknown> = {}): never => {
    throw createError("core", ErrorCodes.RECORD_FAILED, `${source}: ${message}`, {
      details: { source, ...details },
    });
  };
  const parsed = parseCsv(text);
  if (parsed.torn && !options.allowTornTail) {
    fail("the last row is incomplete (interrupted write)", { completeLength: parsed.completeLength });
  }
  const [header, ...rows] = parsed.rows;
  if (!header) return [];
  if (header.join(",") !== CSV_RECORD_COLUMNS.join(",")) fail("unexpected columns", { header });
  return rows.map((cells, i) => {
    if (cells.length !== CSV_RECORD_COLUMNS.length) {
      fail(`row ${i + 2} has ${cells.length} cells, expected ${CSV_RECORD_COLUMNS.length}`, { row: i + 2 });
    }
    const row = {} as CsvRecordRow;
    CSV_RECORD_COLUMNS.forEach((column, c) => {
      row[column] = restoreFormula(cells[c]!);
    });
    return row;
  });
}
