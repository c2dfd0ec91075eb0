import { describe, expect, it } from "vitest";
import { defuseFormula, formatCsvRow, parseCsv, restoreFormula } from "./csv";

const tricky = [
  "plain",
  "",
  "comma, inside",
  'say "OK"',
  '"',
  "line\nbreak",
  "crlf\r\nbreak",
  "lone\rcr",
  '=HYPERLINK("http://x")',
  "+1",
  "-2",
  "@SUM(A1)",
  "\tTAB",
  "'already quoted",
  "'",
  "ünïcødé ✓",
  " spaced ",
];

describe("CSV quoting", () => {
  it("round-trips values with commas, quotes, line breaks and formula starts", () => {
    const text = formatCsvRow(tricky) + formatCsvRow(["a", "b"]);
    const parsed = parseCsv(text);
    expect(parsed.torn).toBe(false);
    expect(parsed.rows).toHaveLength(2);
    expect(parsed.rows[0]!.map(restoreFormula)).toEqual(tricky);
    expect(parsed.rows[1]).toEqual(["a", "b"]);
  });

  it("quotes per RFC 4180 and ends records with CRLF", () => {
    expect(formatCsvRow(["a", "b,c", 'd"e', "f\ng"])).toBe('a,"b,c","d""e","f\ng"\r\n');
  });

  it("defuses cells a spreadsheet would evaluate", () => {
    for (const v of ["=1+1", "+1", "-1", "@x", "\tx", "\rx"]) expect(defuseFormula(v)).toBe(`'${v}`);
    expect(defuseFormula("1-1")).toBe("1-1");
    expect(formatCsvRow(["=cmd|' /C calc'!A0"])).toBe("'=cmd|' /C calc'!A0\r\n");
  });
});

describe("parseCsv torn-record detection", () => {
  it("never returns a partial record, wherever the text is cut", () => {
    const rows = [
      ["h1", "h2"],
      ["1", "two\r\nlines"],
      ['q"uote', "x,y"],
      ["last", ""],
    ];
    const text = rows.map(formatCsvRow).join("");
    const ends: number[] = [];
    let acc = 0;
    for (const r of rows) {
      acc += formatCsvRow(r).length;
      ends.push(acc);
    }
    for (let cut = 0; cut <= text.length; cut++) {
      const parsed = parseCsv(text.slice(0, cut));
      const complete = ends.filter((e) => e <= cut).length;
      expect(parsed.rows).toEqual(rows.slice(0, complete));
      expect(parsed.completeLength).toBe(complete === 0 ? 0 : ends[complete - 1]);
      expect(parsed.torn).toBe(cut !== parsed.completeLength);
    }
  });

  it("accepts LF-only line ends", () => {
    expect(parseCsv("a,b\nc,d\n").rows).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });
});
