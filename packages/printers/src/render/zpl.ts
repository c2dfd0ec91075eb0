import type { Label } from "@factory/core";
import { loadFace } from "./fonts";
import { type LabelLayout, type LayoutOptions, layoutLabel, type TextLine } from "./layout";
import { type Bitmap, createBitmap, drawText } from "./raster";

export interface ZplOptions extends LayoutOptions {
  /** `^PQ`: labels to print from this format (1–100). */
  copies?: number;
}

/** Field data under `^FH`: `_`, `^` and `~` would end the field or start a command. */
export function zplFieldData(text: string): string {
  return text.replace(/[_^~]/g, (ch) => `_${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `^GFA` graphic field for a bitmap: bytes per row, hex rows, black = 1. */
export function zplGraphic(bitmap: Bitmap): string {
  const stride = Math.ceil(bitmap.width / 8);
  const bytes = Buffer.alloc(stride * bitmap.height);
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) {
      if (bitmap.data[y * bitmap.width + x]) bytes[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  return `^GFA,${bytes.length},${bytes.length},${stride},${bytes.toString("hex").toUpperCase()}`;
}

/** A monospace line drawn with DejaVu Sans Mono as a graphic, so every printer shows the same 0 and O. */
function monoGraphic(line: TextLine, dpmm: number): { bitmap: Bitmap; x: number; y: number } {
  const face = loadFace(line.face);
  const size = line.size * dpmm;
  const height = Math.ceil(size * 1.2);
  const width = Math.ceil(line.width * dpmm) + 2;
  const bitmap = createBitmap(width, height);
  const baseline = (line.baseline - line.top) * dpmm;
  drawText(bitmap, face, line.text, 0, baseline, size);
  return { bitmap, x: Math.round(line.x * dpmm), y: Math.round(line.top * dpmm) };
}

/**
 * Renders a laid-out label as one ZPL II format: `^XA`, `^CI28` (UTF-8), `^PW`/`^LL` from the
 * label size, text in the scalable font 0 (`^A0N`), monospace fields (passwords) as `^GFA`
 * graphics drawn with DejaVu Sans Mono, the QR code as `^BQN,2,<magnification>` with
 * `^FDQA,<content>`, `^PQ` copies, `^XZ`.
 */
export function layoutToZpl(layout: LabelLayout, copies = 1): string {
  const dpmm = layout.dpi / 25.4;
  const dots = (mm: number): number => Math.round(mm * dpmm);
  const parts = ["^XA", "^CI28", `^PW${dots(layout.widthMm)}`, `^LL${dots(layout.heightMm)}`, "^LH0,0"];
  for (const line of layout.lines) {
    if (line.face === "mono") {
      const g = monoGraphic(line, dpmm);
      parts.push(`^FO${g.x},${g.y}${zplGraphic(g.bitmap)}^FS`);
      continue;
    }
    const h = Math.max(10, dots(line.size));
    parts.push(`^FO${dots(line.x)},${dots(line.top)}^A0N,${h},${h}^FH^FD${zplFieldData(line.text)}^FS`);
  }
  if (layout.qr) {
    const { qr } = layout;
    parts.push(
      `^FO${dots(qr.x)},${dots(qr.y)}^BQN,2,${qr.moduleDots}^FH^FDQA,${zplFieldData(qr.content)}^FS`,
    );
  }
  parts.push(`^PQ${copies}`, "^XZ");
  return `${parts.join("\n")}\n`;
}

/**
 * Renders a label to ZPL II for a printer of `dpi` (203 by default).
 *
 * @example
 * const zpl = renderZpl(label, { dpi: 300 });
 * socket.write(zpl);
 */
export function renderZpl(label: Label, options: ZplOptions = {}): string {
  return layoutToZpl(layoutLabel(label, options), options.copies ?? 1);
}
