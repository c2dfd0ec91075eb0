import type { Label } from "@factory/core";
import { PDFDocument, rgb } from "pdf-lib";
import { type LabelLayout, type LayoutOptions, layoutLabel } from "./layout";
import { PdfFonts } from "./pdf-fonts";

const PT_PER_MM = 72 / 25.4;

export interface PdfOptions extends LayoutOptions {
  /** Pages (copies) in the document; default 1. */
  copies?: number;
}

/**
 * Renders a laid-out label as a one-page PDF of the label's exact size. Text stays text, also
 * after a spooler's PostScript round trip (see {@link PdfFonts}); passwords are set in DejaVu
 * Sans Mono; the QR modules are drawn on the printer's dot grid.
 */
export async function layoutToPdf(layout: LabelLayout, copies = 1): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const fonts = new PdfFonts(doc);
  doc.setTitle("Unit label");
  doc.setCreator("@factory/printers");
  doc.setProducer("@factory/printers");
  const w = layout.widthMm * PT_PER_MM;
  const h = layout.heightMm * PT_PER_MM;
  for (let copy = 0; copy < copies; copy++) {
    const page = doc.addPage([w, h]);
    for (const line of layout.lines) {
      await fonts.draw(
        page,
        line.face,
        line.text,
        line.x * PT_PER_MM,
        h - line.baseline * PT_PER_MM,
        line.size * PT_PER_MM,
      );
    }
    const qr = layout.qr;
    if (qr) {
      const m = qr.moduleMm * PT_PER_MM;
      for (let my = 0; my < qr.matrix.size; my++) {
        let mx = 0;
        while (mx < qr.matrix.size) {
          if (!qr.matrix.dark(mx, my)) {
            mx++;
            continue;
          }
          const start = mx;
          while (mx < qr.matrix.size && qr.matrix.dark(mx, my)) mx++;
          page.drawRectangle({
            x: qr.x * PT_PER_MM + start * m,
            y: h - qr.y * PT_PER_MM - (my + 1) * m,
            width: (mx - start) * m,
            height: m,
            color: rgb(0, 0, 0),
          });
        }
      }
    }
  }
  return doc.save({ useObjectStreams: false });
}

/**
 * Renders a label to PDF for a printer of `dpi` (203 by default; 300 for 12 dots/mm heads).
 *
 * @example
 * await writeFile("label.pdf", await renderPdf(label, { dpi: 300 }));
 */
export async function renderPdf(label: Label, options: PdfOptions = {}): Promise<Uint8Array> {
  return layoutToPdf(layoutLabel(label, options), options.copies ?? 1);
}
