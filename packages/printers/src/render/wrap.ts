import { type Face, type Measure, textWidth } from "./fonts";

/** How a value may be broken over lines. */
export type WrapMode = "words" | "none";

/** Break opportunities: after spaces and the separators of serials and URLs. */
const BREAK_AFTER = /[\s\-/?&=_.:]/;

function tokens(text: string): string[] {
  const out: string[] = [];
  let current = "";
  for (const ch of text) {
    current += ch;
    if (BREAK_AFTER.test(ch)) {
      out.push(current);
      current = "";
    }
  }
  if (current) out.push(current);
  return out;
}

/**
 * Lines of `text` at `size` that each fit `maxWidth`, or undefined when it cannot fit (a single
 * character wider than the line, or `none` and the whole text wider). Words too long for a line
 * break between characters, so nothing is ever cut.
 */
export function wrapText(
  face: Face,
  text: string,
  size: number,
  maxWidth: number,
  mode: WrapMode,
  measure: Measure = textWidth,
): string[] | undefined {
  const fits = (s: string): boolean => measure(face, s.trimEnd(), size) <= maxWidth + 1e-9;
  if (fits(text)) return [text];
  if (mode === "none") return undefined;
  const lines: string[] = [];
  let line = "";
  for (const token of tokens(text)) {
    if (fits(line + token)) {
      line += token;
      continue;
    }
    if (line) lines.push(line.trimEnd());
    line = "";
    if (fits(token)) {
      line = token.trimStart();
      continue;
    }
    for (const ch of token) {
      if (fits(line + ch)) line += ch;
      else {
        if (!line) return undefined;
        lines.push(line);
        line = ch;
      }
    }
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines;
}
