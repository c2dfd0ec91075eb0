import { sampleLabel } from "@factory/core/testing";
import { describe, expect, it } from "vitest";
import { hasCups } from "../test-support/cups";
import { decodeBarcodes, pdfText, pdfToPng, zplToPng } from "../test-support/tools";
import { renderPdf } from "./pdf";
import { renderPng } from "./png-label";
import { renderZpl, zplFieldData } from "./zpl";

describe("ZPL rendering", () => {
  it("sizes the format from the label at the printer's resolution (4×6 inch = ^PW812^LL1218 at 203 dpi)", () => {
    const zpl = renderZpl(sampleLabel({ widthMm: 101.6, heightMm: 152.4 }));
    expect(zpl).toMatch(/^\^XA\n\^CI28\n\^PW812\n\^LL1218\n/);
    expect(zpl.trimEnd().endsWith("^PQ1\n^XZ")).toBe(true);
    const z300 = renderZpl(sampleLabel({ widthMm: 101.6, heightMm: 152.4 }), { dpi: 300, copies: 3 });
    expect(z300).toContain("^PW1200\n^LL1800");
    expect(z300).toContain("^PQ3");
  });

  it("uses the scalable font for text and ^BQN,2,m with the QA, prefix for the QR", () => {
    const label = sampleLabel();
    const zpl = renderZpl(label);
    expect(zpl).toMatch(/\^FO\d+,\d+\^A0N,\d+,\d+\^FH\^FDPrivateBox\^FS/);
    const qr = /\^BQN,2,(\d+)\^FH\^FDQA,(.*)\^FS/.exec(zpl);
    expect(qr?.[2]).toBe(label.qr);
    expect(Number(qr?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(qr?.[1])).toBeLessThanOrEqual(10);
  });

  it("escapes ^, ~ and _ in field data so a value can never inject commands", () => {
    expect(zplFieldData("a^XZ~JR_b")).toBe("a_5EXZ_7EJR_5Fb");
    const zpl = renderZpl(sampleLabel({ title: "Box^XZ~HS" }));
    expect(zpl).toContain("^FDBox_5EXZ_7EHS^FS");
    expect(zpl.match(/\^XZ/g)).toHaveLength(1);
  });
});

describe.runIf(hasCups())("rendered labels read back with real tools", () => {
  for (const dpi of [203, 300]) {
    it(`ZPL at ${dpi} dpi renders (zpl-renderer-js) to a PNG whose QR decodes to the label's content`, async () => {
      const label = sampleLabel({ qr: "https://privatebox.dk/setup?serial=a1b2c3d4&x=^_~" });
      const png = await zplToPng(renderZpl(label, { dpi }), label.widthMm, label.heightMm, dpi);
      expect(await decodeBarcodes(png)).toEqual([label.qr]);
    });

    it(`PDF at ${dpi} dpi: pdftotext reads serial and passwords, the rasterized QR decodes`, async () => {
      const label = sampleLabel();
      const pdf = await renderPdf(label, { dpi });
      const text = await pdfText(pdf);
      for (const f of label.fields) expect(text).toContain(f.value);
      expect(text.replace(/\s/g, "")).toContain(label.serial.replace(/\s/g, "").slice(0, 20));
      expect(await decodeBarcodes(await pdfToPng(pdf, dpi))).toEqual([label.qr]);
    });

    it(`PNG at ${dpi} dpi is the label's size in dots and its QR decodes`, async () => {
      const label = sampleLabel();
      const png = renderPng(label, { dpi });
      const dpmm = dpi / 25.4;
      expect(png.readUInt32BE(16)).toBe(Math.round(label.widthMm * dpmm));
      expect(png.readUInt32BE(20)).toBe(Math.round(label.heightMm * dpmm));
      expect(await decodeBarcodes(png)).toEqual([label.qr]);
    });
  }

  it("a masked PDF preview carries no password, not even in its text layer", async () => {
    const label = sampleLabel();
    const text = await pdfText(await renderPdf(label, { maskSecrets: true }));
    for (const f of label.fields) expect(text).not.toContain(f.value);
    expect(text).toContain("PrivateBox");
  });
});
