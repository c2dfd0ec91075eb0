import {
  appendBezierCurve,
  beginText,
  closePath,
  endText,
  fill,
  lineTo,
  moveTo,
  type PDFDocument,
  type PDFFont,
  PDFName,
  type PDFOperator,
  type PDFPage,
  popGraphicsState,
  pushGraphicsState,
  StandardFonts,
  setFillingGrayscaleColor,
  setFontAndSize,
  setTextMatrix,
  showText,
} from "pdf-lib";
import { type Face, type FaceName, fontkit, loadFace, textWidth } from "./fonts";

/**
 * Fonts of a label PDF. Text must survive a spooler: CUPS turns PDF into PostScript and back,
 * which keeps the text of Type 1 fonts but turns embedded TrueType into unreadable Type 3 glyphs.
 * So titles, serials and captions use the base-14 Helvetica pair, and passwords are drawn as
 * DejaVu Sans Mono outlines (the dotted zero and distinct 1, l, I survive any spooler, since they
 * are plain paths) over a Courier text layer of the same advance, which is what `pdftotext`,
 * search and copy read. The layer is filled white under the outlines rather than drawn in the
 * invisible text mode, because PostScript has no invisible text and CUPS's PDF → PostScript step
 * drops it. Text outside WinAnsi falls back to embedded DejaVu.
 */
export class PdfFonts {
  private readonly standard = new Map<string, PDFFont>();
  private readonly cid = new Map<FaceName, PDFFont>();

  constructor(private readonly doc: PDFDocument) {
    doc.registerFontkit(fontkit);
  }

  /** Draws one line of text with its baseline at (`x`, `y`) in PDF points. */
  async draw(page: PDFPage, face: FaceName, text: string, x: number, y: number, size: number): Promise<void> {
    const ansi = winAnsiCodes(text) !== undefined;
    if (face !== "mono") {
      const font = ansi
        ? await this.standardFont(face === "bold" ? StandardFonts.HelveticaBold : StandardFonts.Helvetica)
        : await this.cidFont(face);
      page.drawText(text, { x, y, size, font });
      return;
    }
    const mono = loadFace("mono");
    const layer = ansi ? await this.standardFont(StandardFonts.Courier) : await this.cidFont("mono");
    const key = PDFName.of(ansi ? "FactoryTextLayer" : "FactoryTextLayerCid");
    page.node.setFontDictionary(key, layer.ref);
    // Stretch the text layer to the outlines' advance so selections line up with the glyphs.
    const stretch = textWidth(mono, text, size) / Math.max(layer.widthOfTextAtSize(text, size), 1e-6);
    page.pushOperators(
      pushGraphicsState(),
      setFillingGrayscaleColor(1),
      beginText(),
      setFontAndSize(key, size),
      setTextMatrix(stretch, 0, 0, 1, x, y),
      showText(layer.encodeText(text)),
      endText(),
      popGraphicsState(),
      pushGraphicsState(),
      setFillingGrayscaleColor(0),
      ...outlineOperators(mono, text, x, y, size),
      popGraphicsState(),
    );
  }

  private async standardFont(name: StandardFonts): Promise<PDFFont> {
    let font = this.standard.get(name);
    if (!font) {
      font = await this.doc.embedFont(name);
      this.standard.set(name, font);
    }
    return font;
  }

  private async cidFont(face: FaceName): Promise<PDFFont> {
    let font = this.cid.get(face);
    if (!font) {
      font = await this.doc.embedFont(loadFace(face).bytes, { subset: true });
      this.cid.set(face, font);
    }
    return font;
  }
}

/** The glyph outlines of `text` as PDF path operators, filled (non-zero winding). */
function outlineOperators(face: Face, text: string, x: number, y: number, size: number): PDFOperator[] {
  const scale = size / face.font.unitsPerEm;
  const ops: PDFOperator[] = [];
  const run = face.font.layout(text);
  let penX = x;
  for (const [i, glyph] of run.glyphs.entries()) {
    const pos = run.positions[i]!;
    const ox = penX + pos.xOffset * scale;
    const oy = y + pos.yOffset * scale;
    const map = (gx: number, gy: number): [number, number] => [ox + gx * scale, oy + gy * scale];
    let at: [number, number] = [ox, oy];
    const ctx = {
      moveTo(px: number, py: number) {
        at = map(px, py);
        ops.push(moveTo(...at));
      },
      lineTo(px: number, py: number) {
        at = map(px, py);
        ops.push(lineTo(...at));
      },
      quadraticCurveTo(cx: number, cy: number, px: number, py: number) {
        const c = map(cx, cy);
        const p = map(px, py);
        // A quadratic segment as the equivalent cubic: control points 2/3 of the way to c.
        ops.push(
          appendBezierCurve(
            at[0] + (2 / 3) * (c[0] - at[0]),
            at[1] + (2 / 3) * (c[1] - at[1]),
            p[0] + (2 / 3) * (c[0] - p[0]),
            p[1] + (2 / 3) * (c[1] - p[1]),
            p[0],
            p[1],
          ),
        );
        at = p;
      },
      bezierCurveTo(c1x: number, c1y: number, c2x: number, c2y: number, px: number, py: number) {
        const p = map(px, py);
        ops.push(appendBezierCurve(...map(c1x, c1y), ...map(c2x, c2y), ...p));
        at = p;
      },
      closePath() {
        ops.push(closePath());
      },
    };
    (glyph.path.toFunction() as (c: typeof ctx) => void)(ctx);
    penX += pos.xAdvance * scale;
  }
  if (ops.length) ops.push(fill());
  return ops;
}

/** WinAnsiEncoding codes 0x80–0x9F and the characters they stand for (PDF 32000 Annex D). */
const WIN_ANSI_TO_UNICODE = new Map<number, number>([
  [0x80, 0x20ac],
  [0x82, 0x201a],
  [0x83, 0x0192],
  [0x84, 0x201e],
  [0x85, 0x2026],
  [0x86, 0x2020],
  [0x87, 0x2021],
  [0x88, 0x02c6],
  [0x89, 0x2030],
  [0x8a, 0x0160],
  [0x8b, 0x2039],
  [0x8c, 0x0152],
  [0x8e, 0x017d],
  [0x91, 0x2018],
  [0x92, 0x2019],
  [0x93, 0x201c],
  [0x94, 0x201d],
  [0x95, 0x2022],
  [0x96, 0x2013],
  [0x97, 0x2014],
  [0x98, 0x02dc],
  [0x99, 0x2122],
  [0x9a, 0x0161],
  [0x9b, 0x203a],
  [0x9c, 0x0153],
  [0x9e, 0x017e],
  [0x9f, 0x0178],
]);
const UNICODE_TO_WIN_ANSI = new Map([...WIN_ANSI_TO_UNICODE].map(([code, cp]) => [cp, code]));

/** The WinAnsi bytes of `text`, or undefined when a character has no WinAnsi code. */
export function winAnsiCodes(text: string): number[] | undefined {
  const out: number[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0xff)) out.push(cp);
    else {
      const code = UNICODE_TO_WIN_ANSI.get(cp);
      if (code === undefined) return undefined;
      out.push(code);
    }
  }
  return out;
}
