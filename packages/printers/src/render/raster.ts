import { type Face, loadFace } from "./fonts";
import type { LabelLayout } from "./layout";

/** A 1-bit image as a thermal printer prints it: `1` is a black dot. Row-major. */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

export function createBitmap(width: number, height: number): Bitmap {
  return { width, height, data: new Uint8Array(width * height) };
}

type Edge = [x0: number, y0: number, x1: number, y1: number];

/** Collects a glyph outline as straight edges (curves flattened), in device dots. */
class Outline {
  edges: Edge[] = [];
  private start: [number, number] = [0, 0];
  private at: [number, number] = [0, 0];
  constructor(private readonly map: (x: number, y: number) => [number, number]) {}
  moveTo(x: number, y: number): void {
    this.start = this.map(x, y);
    this.at = this.start;
  }
  lineTo(x: number, y: number): void {
    const p = this.map(x, y);
    this.edges.push([this.at[0], this.at[1], p[0], p[1]]);
    this.at = p;
  }
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void {
    const [x0, y0] = this.at;
    const c = this.map(cx, cy);
    const p = this.map(x, y);
    const steps = 8;
    for (let i = 1; i <= steps; i++) {
      const t = i / steps;
      const u = 1 - t;
      this.lineToDevice(
        u * u * x0 + 2 * u * t * c[0] + t * t * p[0],
        u * u * y0 + 2 * u * t * c[1] + t * t * p[1],
      );
    }
  }
  bezierCurveTo(c1x: number, c1y: number, c2x: number, c2y: number, x: number, y: number): void {
    const [x0, y0] = this.at;
    const c1 = this.map(c1x, c1y);
    const c2 = this.map(c2x, c2y);
    const p = this.map(x, y);
    const steps = 10;
    for (let i = 1; i <= steps; i++) {
      const t = i / steps;
      const u = 1 - t;
      const a = u * u * u;
      const b = 3 * u * u * t;
      const c = 3 * u * t * t;
      const d = t * t * t;
      this.lineToDevice(a * x0 + b * c1[0] + c * c2[0] + d * p[0], a * y0 + b * c1[1] + c * c2[1] + d * p[1]);
    }
  }
  closePath(): void {
    if (this.at[0] !== this.start[0] || this.at[1] !== this.start[1]) {
      this.edges.push([this.at[0], this.at[1], this.start[0], this.start[1]]);
    }
    this.at = this.start;
  }
  private lineToDevice(x: number, y: number): void {
    this.edges.push([this.at[0], this.at[1], x, y]);
    this.at = [x, y];
  }
}

/** Fills the shape bounded by `edges` (non-zero winding), sampling each dot at its centre. */
function fillEdges(bitmap: Bitmap, edges: Edge[]): void {
  if (!edges.length) return;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const e of edges) {
    minY = Math.min(minY, e[1], e[3]);
    maxY = Math.max(maxY, e[1], e[3]);
  }
  const rowFrom = Math.max(0, Math.floor(minY));
  const rowTo = Math.min(bitmap.height - 1, Math.ceil(maxY));
  const hits: [number, number][] = [];
  for (let row = rowFrom; row <= rowTo; row++) {
    const cy = row + 0.5;
    hits.length = 0;
    for (const [x0, y0, x1, y1] of edges) {
      if (y0 === y1) continue;
      const up = y1 > y0;
      const lo = up ? y0 : y1;
      const hi = up ? y1 : y0;
      if (cy < lo || cy >= hi) continue;
      hits.push([x0 + ((cy - y0) * (x1 - x0)) / (y1 - y0), up ? 1 : -1]);
    }
    hits.sort((a, b) => a[0] - b[0]);
    let winding = 0;
    for (let i = 0; i < hits.length - 1; i++) {
      winding += hits[i]![1];
      if (winding === 0) continue;
      const from = Math.max(0, Math.ceil(hits[i]![0] - 0.5));
      const to = Math.min(bitmap.width - 1, Math.ceil(hits[i + 1]![0] - 0.5) - 1);
      for (let x = from; x <= to; x++) bitmap.data[row * bitmap.width + x] = 1;
    }
  }
}

/** Draws `text` in `face` with its baseline at (`x`, `baseline`), all in dots. */
export function drawText(
  bitmap: Bitmap,
  face: Face,
  text: string,
  x: number,
  baseline: number,
  sizeDots: number,
): void {
  const scale = sizeDots / face.font.unitsPerEm;
  const run = face.font.layout(text);
  let penX = x;
  for (const [i, glyph] of run.glyphs.entries()) {
    const pos = run.positions[i]!;
    const originX = penX + pos.xOffset * scale;
    const originY = baseline - pos.yOffset * scale;
    const outline = new Outline((gx, gy) => [originX + gx * scale, originY - gy * scale]);
    (glyph.path.toFunction() as (ctx: Outline) => void)(outline);
    fillEdges(bitmap, outline.edges);
    penX += pos.xAdvance * scale;
  }
}

/** Fills a rectangle given in dots (fractions round to the dot grid). */
export function fillRect(bitmap: Bitmap, x: number, y: number, w: number, h: number): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(bitmap.width, Math.round(x + w));
  const y1 = Math.min(bitmap.height, Math.round(y + h));
  for (let row = y0; row < y1; row++) bitmap.data.fill(1, row * bitmap.width + x0, row * bitmap.width + x1);
}

/** Renders a whole layout at its dpi: the label exactly as a thermal printer would print it. */
export function rasterizeLayout(layout: LabelLayout): Bitmap {
  const dpmm = layout.dpi / 25.4;
  const bitmap = createBitmap(Math.round(layout.widthMm * dpmm), Math.round(layout.heightMm * dpmm));
  for (const line of layout.lines) {
    drawText(bitmap, loadFace(line.face), line.text, line.x * dpmm, line.baseline * dpmm, line.size * dpmm);
  }
  if (layout.qr)
    drawQr(
      bitmap,
      layout.qr.matrix,
      Math.round(layout.qr.x * dpmm),
      Math.round(layout.qr.y * dpmm),
      layout.qr.moduleDots,
    );
  return bitmap;
}

export function drawQr(
  bitmap: Bitmap,
  matrix: { size: number; dark(x: number, y: number): boolean },
  x: number,
  y: number,
  moduleDots: number,
): void {
  for (let my = 0; my < matrix.size; my++) {
    for (let mx = 0; mx < matrix.size; mx++) {
      if (matrix.dark(mx, my))
        fillRect(bitmap, x + mx * moduleDots, y + my * moduleDots, moduleDots, moduleDots);
    }
  }
}

/** A sub-image: the dots of `bitmap` in the given rectangle (clipped to the bitmap). */
export function cropBitmap(bitmap: Bitmap, x: number, y: number, w: number, h: number): Bitmap {
  const out = createBitmap(w, h);
  for (let row = 0; row < h; row++) {
    const sy = y + row;
    if (sy < 0 || sy >= bitmap.height) continue;
    for (let col = 0; col < w; col++) {
      const sx = x + col;
      if (sx >= 0 && sx < bitmap.width) out.data[row * w + col] = bitmap.data[sy * bitmap.width + sx]!;
    }
  }
  return out;
}
