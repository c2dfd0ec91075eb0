import { ErrorCodes, type Label } from "@factory/core";
import { printerError } from "../errors";
import { ascent, createMeasure, type FaceName, loadFace, type Measure, missingGlyphs } from "./fonts";
import { encodeQr, type QrMatrix } from "./qr";
import { type WrapMode, wrapText } from "./wrap";

/** One line of text; positions and sizes in millimetres from the label's top-left corner. */
export interface TextLine {
  kind: "text";
  face: FaceName;
  text: string;
  x: number;
  /** Top of the line box. */
  top: number;
  /** Baseline (top + the face's ascent). */
  baseline: number;
  /** Font size (em) in mm. */
  size: number;
  width: number;
  /** Part of a secret field. */
  secret: boolean;
}

export interface QrBlock {
  kind: "qr";
  content: string;
  matrix: QrMatrix;
  x: number;
  y: number;
  /** Module size in printer dots (the ZPL magnification). */
  moduleDots: number;
  /** Module size in mm (moduleDots / dots per mm). */
  moduleMm: number;
}

/** A label laid out for one resolution; every renderer draws exactly this. */
export interface LabelLayout {
  widthMm: number;
  heightMm: number;
  dpi: number;
  lines: TextLine[];
  qr?: QrBlock;
}

export interface LayoutOptions {
  /** Printer resolution: 203, 300 or 600 dpi. Sizes of QR modules snap to whole dots. */
  dpi?: number;
  /** Replace secret values by bullets (for previews shown on screens). */
  maskSecrets?: boolean;
}

/** Smallest legible text on a thermal label, mm (about 13 dots at 203 dpi). */
const MIN_TEXT_MM = 1.6;
/** Smallest size for passwords people have to type, mm. */
const MIN_MONO_MM = 2.0;
const LINE = 1.2;
const QUIET_MODULES = 2;

interface Piece {
  face: FaceName;
  text: string;
  rel: number;
  wrap: WrapMode;
  secret: boolean;
  min: number;
}

/** A block: pieces on one line when they fit, else each on its own line(s). */
type Block = { pieces: Piece[]; gapBefore: number; bottom?: boolean };

function validate(label: Label): void {
  const bad = (what: string): never => {
    throw printerError(ErrorCodes.INVALID_ARGUMENT, `The label's ${what}`);
  };
  if (typeof label !== "object" || label === null) bad("definition is missing");
  if (typeof label.title !== "string" || !label.title.trim()) bad("title is empty");
  if (typeof label.serial !== "string" || !label.serial.trim()) bad("serial is empty");
  if (!Array.isArray(label.fields)) bad("fields are not a list");
  const texts: [string, string][] = [
    ["title", label.title],
    ["serial", label.serial],
    ...(label.footer !== undefined ? [["footer", label.footer] as [string, string]] : []),
  ];
  for (const [i, f] of label.fields.entries()) {
    if (typeof f?.caption !== "string" || typeof f.value !== "string") bad(`field ${i + 1} is not text`);
    if (!f.value) bad(`field "${f.caption}" has no value`);
    texts.push([`field "${f.caption}" caption`, f.caption], [`field "${f.caption}"`, f.value]);
  }
  for (const [what, text] of texts) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (/[\u0000-\u001f\u007f]/.test(text)) bad(`${what} contains a line break or control character`);
  }
  if (label.qr !== undefined && typeof label.qr !== "string") bad("QR content is not text");
}

function blocks(label: Label, mask: boolean): Block[] {
  const out: Block[] = [
    {
      pieces: [{ face: "bold", text: label.title, rel: 1, wrap: "words", secret: false, min: MIN_TEXT_MM }],
      gapBefore: 0,
    },
    {
      pieces: [
        { face: "bold", text: label.serial, rel: 0.9, wrap: "words", secret: false, min: MIN_TEXT_MM },
      ],
      gapBefore: 0.2,
    },
  ];
  for (const f of label.fields) {
    const secret = f.secret === true;
    const value = secret && mask ? "•".repeat(f.value.length) : f.value;
    const mono = f.monospace === true;
    out.push({
      gapBefore: 0.25,
      pieces: [
        ...(f.caption
          ? [
              {
                face: "regular" as const,
                text: `${f.caption}:`,
                rel: 0.75,
                wrap: "words" as const,
                secret: false,
                min: MIN_TEXT_MM,
              },
            ]
          : []),
        {
          face: mono ? "mono" : "regular",
          text: value,
          rel: 0.9,
          wrap: mono ? "none" : "words",
          secret,
          min: mono ? MIN_MONO_MM : MIN_TEXT_MM,
        },
      ],
    });
  }
  if (label.footer) {
    out.push({
      pieces: [
        { face: "regular", text: label.footer, rel: 0.65, wrap: "words", secret: false, min: MIN_TEXT_MM },
      ],
      gapBefore: 0.3,
      bottom: true,
    });
  }
  return out;
}

interface Area {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Lays the blocks out at base size `s`; undefined when they do not fit the area. */
function place(all: Block[], s: number, area: Area, measure: Measure): TextLine[] | undefined {
  const lines: TextLine[] = [];
  let y = area.y;
  const footer = all.filter((b) => b.bottom);
  const body = all.filter((b) => !b.bottom);
  const emit = (p: Piece, text: string, x: number, top: number): void => {
    const face = loadFace(p.face);
    const size = s * p.rel;
    lines.push({
      kind: "text",
      face: p.face,
      text,
      x,
      top,
      baseline: top + ascent(face) * size,
      size,
      width: measure(face, text, size),
      secret: p.secret,
    });
  };
  const layoutBlock = (b: Block, top: number): number | undefined => {
    if (b.pieces.some((p) => s * p.rel < p.min - 1e-9)) return undefined;
    const gap = s * 0.5;
    const widths = b.pieces.map((p) => measure(loadFace(p.face), p.text, s * p.rel));
    const inline = widths.reduce((a, w) => a + w, 0) + gap * (b.pieces.length - 1);
    if (inline <= area.w) {
      const height = Math.max(...b.pieces.map((p) => s * p.rel)) * LINE;
      let x = area.x;
      for (const [i, p] of b.pieces.entries()) {
        // Pieces share one baseline: each top is lowered by its size difference.
        const size = s * p.rel;
        const baseTop = top + (height - size * LINE);
        emit(p, p.text, x, baseTop);
        x += widths[i]! + gap;
      }
      return top + height;
    }
    let y2 = top;
    for (const p of b.pieces) {
      const wrapped = wrapText(loadFace(p.face), p.text, s * p.rel, area.w, p.wrap, measure);
      if (!wrapped) return undefined;
      for (const text of wrapped) {
        emit(p, text, area.x, y2);
        y2 += s * p.rel * LINE;
      }
    }
    return y2;
  };
  for (const b of body) {
    const next = layoutBlock(b, y + (lines.length ? b.gapBefore * s : 0));
    if (next === undefined) return undefined;
    y = next;
  }
  if (footer.length) {
    const start = lines.length;
    let fy = 0;
    for (const b of footer) {
      const next = layoutBlock(b, fy);
      if (next === undefined) return undefined;
      fy = next;
    }
    const shift = area.y + area.h - fy;
    if (shift < y + (footer[0]?.gapBefore ?? 0) * s - 1e-9) return undefined;
    for (const line of lines.slice(start)) {
      line.top += shift;
      line.baseline += shift;
    }
    return lines;
  }
  return y <= area.y + area.h + 1e-9 ? lines : undefined;
}

/**
 * Lays a label out: title, serial, fields, footer on the left (or top), the QR code on the right
 * (or bottom). Text shrinks, then wraps; passwords in the monospace face never wrap. A label whose
 * content cannot fit at the smallest legible size is refused with `INVALID_ARGUMENT`: nothing is
 * ever cut off silently.
 */
export function layoutLabel(label: Label, options: LayoutOptions = {}): LabelLayout {
  validate(label);
  const dpi = options.dpi ?? 203;
  if (!Number.isFinite(dpi) || dpi < 100 || dpi > 1200) {
    throw printerError(ErrorCodes.INVALID_ARGUMENT, `${dpi} dpi is not a printer resolution`);
  }
  const { widthMm: w, heightMm: h } = label;
  if (!(Number.isFinite(w) && Number.isFinite(h) && w >= 15 && h >= 10)) {
    throw printerError(ErrorCodes.INVALID_ARGUMENT, `A ${w}×${h} mm label is too small (at least 15×10 mm)`);
  }
  for (const [face, texts] of [
    ["bold", [label.title, label.serial]],
    [
      "regular",
      [label.footer ?? "", ...label.fields.map((f) => `${f.caption}${f.monospace ? "" : f.value}`)],
    ],
    ["mono", label.fields.filter((f) => f.monospace).map((f) => f.value)],
  ] as const) {
    const missing = missingGlyphs(loadFace(face), texts.join(""));
    if (missing.length) {
      throw printerError(
        ErrorCodes.INVALID_ARGUMENT,
        `The label font cannot print ${missing.map((c) => JSON.stringify(c)).join(" ")}`,
      );
    }
  }
  const dpmm = dpi / 25.4;
  const margin = Math.min(4, Math.max(1.5, Math.min(w, h) * 0.05));
  const all = blocks(label, options.maskSecrets === true);
  const measure = createMeasure();
  const matrix = label.qr ? encodeQr(label.qr) : undefined;
  // The QR code starts as large as the label allows and gives up room when the text needs it.
  for (const qrShare of matrix ? [1, 0.85, 0.7] : [1]) {
    let area: Area = { x: margin, y: margin, w: w - 2 * margin, h: h - 2 * margin };
    let qr: QrBlock | undefined;
    if (matrix && label.qr) {
      const wide = w >= h * 1.25;
      const box = (wide ? Math.min(h - 2 * margin, w * 0.5) : Math.min(w - 2 * margin, h * 0.45)) * qrShare;
      const moduleDots = Math.min(10, Math.floor((box * dpmm) / (matrix.size + 2 * QUIET_MODULES)));
      if (moduleDots < 2) {
        throw printerError(
          ErrorCodes.INVALID_ARGUMENT,
          `The QR content (${label.qr.length} characters) is too long for a ${w}×${h} mm label at ${dpi} dpi`,
        );
      }
      const moduleMm = moduleDots / dpmm;
      const side = matrix.size * moduleMm;
      if (wide) {
        const x = w - margin - box + (box - side) / 2;
        qr = { kind: "qr", content: label.qr, matrix, moduleDots, moduleMm, x, y: (h - side) / 2 };
        area = { ...area, w: w - 3 * margin - box };
      } else {
        const top = h - margin - box;
        qr = {
          kind: "qr",
          content: label.qr,
          matrix,
          moduleDots,
          moduleMm,
          x: (w - side) / 2,
          y: top + (box - side) / 2,
        };
        area = { ...area, h: top - 2 * margin };
      }
    }
    for (let s = Math.min(area.h / 4, 8); s >= MIN_TEXT_MM * 0.6; s *= 0.95) {
      const lines = place(all, s, area, measure);
      if (lines) return { widthMm: w, heightMm: h, dpi, lines, ...(qr ? { qr } : {}) };
    }
  }
  throw printerError(
    ErrorCodes.INVALID_ARGUMENT,
    `The label's text does not fit on a ${w}×${h} mm label at a legible size; shorten the title, fields or footer, or use a larger label`,
    { details: { widthMm: w, heightMm: h } },
  );
}
