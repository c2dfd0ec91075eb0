import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ErrorCodes } from "@factory/core";
import type { Font } from "@pdf-lib/fontkit";
import * as fontkitModule from "@pdf-lib/fontkit";
import { printerError } from "../errors";

/**
 * The three faces a label uses, all DejaVu (Bitstream Vera licence, shipped in `fonts/`):
 * DejaVu Sans Bold for the title and serial, DejaVu Sans for captions and the footer, and
 * DejaVu Sans Mono for passwords, whose zero carries a dot and whose 1, l and I differ in shape.
 */
export type FaceName = "bold" | "regular" | "mono";

export interface Face {
  name: FaceName;
  /** The TrueType file, for embedding in a PDF. */
  bytes: Uint8Array;
  font: Font;
}

/** The fontkit API (`create`), whichever way the bundler exposes the package's UMD build. */
export interface Fontkit {
  create(bytes: Uint8Array): Font;
}

export const fontkit: Fontkit =
  typeof (fontkitModule as { create?: unknown }).create === "function"
    ? (fontkitModule as unknown as Fontkit)
    : (fontkitModule as unknown as { default: Fontkit }).default;

const FILES: Record<FaceName, string> = {
  bold: "DejaVuSans-Bold.ttf",
  regular: "DejaVuSans.ttf",
  mono: "DejaVuSansMono.ttf",
};

const cache = new Map<FaceName, Face>();

/** Where the package's `fonts/` folder is, from source (`src/render`) or from the build (`dist`). */
function fontDir(): string {
  for (const rel of ["../../fonts/", "../fonts/"]) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}${FILES.mono}`)) return dir;
  }
  throw printerError(
    ErrorCodes.INTERNAL,
    "The label fonts are missing from the @factory/printers package (fonts/ folder); reinstall it",
  );
}

/** Loads (once) and returns a face. */
export function loadFace(name: FaceName): Face {
  const cached = cache.get(name);
  if (cached) return cached;
  const bytes = new Uint8Array(readFileSync(`${fontDir()}${FILES[name]}`));
  const face: Face = { name, bytes, font: fontkit.create(bytes) };
  cache.set(name, face);
  return face;
}

/** Width of `text` set at `size` (any unit; the result is in the same unit). */
export function textWidth(face: Face, text: string, size: number): number {
  if (text === "") return 0;
  const run = face.font.layout(text);
  let units = 0;
  for (const p of run.positions) units += p.xAdvance;
  return (units / face.font.unitsPerEm) * size;
}

/** Measures text like {@link textWidth}. */
export type Measure = (face: Face, text: string, size: number) => number;

/**
 * A memoising {@link textWidth} for one layout (widths scale with size, so each text is shaped
 * once). Scoped to a call, not the module, so no label's secrets stay in memory afterwards.
 */
export function createMeasure(): Measure {
  const units = new Map<string, number>();
  return (face, text, size) => {
    const key = `${face.name}\u0000${text}`;
    let u = units.get(key);
    if (u === undefined) {
      u = textWidth(face, text, face.font.unitsPerEm);
      units.set(key, u);
    }
    return (u / face.font.unitsPerEm) * size;
  };
}

/** Characters of `text` the face has no glyph for. */
export function missingGlyphs(face: Face, text: string): string[] {
  const missing = new Set<string>();
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && !face.font.hasGlyphForCodePoint(cp)) missing.add(ch);
  }
  return [...missing];
}

/** Ascent of the face as a fraction of the font size. */
export function ascent(face: Face): number {
  return face.font.ascent / face.font.unitsPerEm;
}
