/**
 * RFC 4180 CSV: fields with a comma, quote, CR or LF are quoted, quotes doubled, records end in
 * CRLF. Cells that a spreadsheet would run as a formula are defused (see {@link defuseFormula}).
 */

/** First characters that make Excel, LibreOffice or Sheets treat a cell as a formula. */
const FORMULA_START = new Set(["=", "+", "-", "@", "\t", "\r"]);

/**
 * Prefixes a cell with `'` when it starts like a formula (`=`, `+`, `-`, `@`, tab, CR) or with a
 * `'` itself; {@link restoreFormula} strips exactly that one character, so every value round-trips.
 */
export function defuseFormula(value: string): string {
  const first = value[0];
  return first !== undefined && (FORMULA_START.has(first) || first === "'") ? `'${value}` : value;
}

/** The inverse of {@link defuseFormula}. */
export function restoreFormula(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/** Quotes one field when RFC 4180 requires it. */
export function quoteCsvField(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** One CSV record with its CRLF terminator; every value is defused, then quoted. */
export function formatCsvRow(values: readonly string[]): string {
  return `${values.map((v) => quoteCsvField(defuseFormula(v))).join(",")}\r\n`;
}

/** Result of {@link parseCsv}. */
export interface ParsedCsv {
  /** Complete records, fields unquoted (formula prefixes are left in place). */
  rows: string[][];
  /** Length in characters of the text up to the end of the last complete record. */
  completeLength: number;
  /** True when text follows the last complete record (a torn, unterminated last record). */
  torn: boolean;
}

/**
 * Parses RFC 4180 text (CRLF or LF line ends, quoted fields may hold CR and LF). A record counts
 * as complete only once its line end has been read outside quotes, so a record cut short by a
 * crash (even in the middle of a quoted line break) is reported as `torn`, never returned.
 */
export function parseCsv(text: string): ParsedCsv {
  const rows: string[][] = [];
  const n = text.length;
  let completeLength = 0;
  let row: string[] = [];
  let i = 0;
  const delimiter = /[,\n\r]/g;
  while (i < n) {
    let field = "";
    let j = i;
    if (text.charCodeAt(i) === QUOTE) {
      // Quoted field: runs to the next quote that is not doubled.
      j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { rows, completeLength, torn: true };
        if (text.charCodeAt(q + 1) === QUOTE) {
          field += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        field += text.slice(j, q);
        j = q + 1;
        break;
      }
    }
    // Unquoted text (or stray text after a closing quote) runs to a comma or a line end.
    let end = j;
    for (;;) {
      delimiter.lastIndex = end;
      const m = delimiter.exec(text);
      if (!m) return { rows, completeLength, torn: true };
      end = m.index;
      if (text.charCodeAt(end) === CR && text.charCodeAt(end + 1) !== LF) {
        if (end + 1 >= n) return { rows, completeLength, torn: true };
        end += 1;
        continue;
      }
      break;
    }
    field += text.slice(j, end);
    row.push(field);
    const ch = text.charCodeAt(end);
    if (ch === COMMA) {
      i = end + 1;
      if (i >= n) return { rows, completeLength, torn: true };
      continue;
    }
    rows.push(row);
    row = [];
    i = end + (ch === CR ? 2 : 1);
    completeLength = i;
  }
  return { rows, completeLength, torn: completeLength < n };
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;
