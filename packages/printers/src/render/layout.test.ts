import { sampleLabel } from "@factory/core/testing";
import { describe, expect, it } from "vitest";
import { loadFace } from "./fonts";
import { layoutLabel } from "./layout";
import { createBitmap, drawText } from "./raster";

const MM_203 = 203 / 25.4;

describe("label layout", () => {
  for (const dpi of [203, 300]) {
    it(`keeps every line inside the label and clear of the QR code at ${dpi} dpi`, () => {
      const layout = layoutLabel(sampleLabel(), { dpi });
      const qr = layout.qr!;
      const qrSide = qr.matrix.size * qr.moduleMm;
      expect(qr.moduleDots).toBeGreaterThanOrEqual(2);
      expect(Number.isInteger(qr.moduleDots)).toBe(true);
      expect(qr.x + qrSide).toBeLessThanOrEqual(layout.widthMm);
      expect(qr.y + qrSide).toBeLessThanOrEqual(layout.heightMm);
      for (const line of layout.lines) {
        expect(line.x).toBeGreaterThanOrEqual(0);
        expect(line.x + line.width).toBeLessThanOrEqual(qr.x);
        expect(line.top + line.size * 1.2).toBeLessThanOrEqual(layout.heightMm);
      }
      // Lines never overlap each other.
      const sorted = [...layout.lines].sort((a, b) => a.top - b.top);
      for (let i = 1; i < sorted.length; i++) {
        const a = sorted[i - 1]!;
        const b = sorted[i]!;
        if (a.top !== b.top) expect(b.top).toBeGreaterThanOrEqual(a.top + a.size * 1.2 - 1e-6);
      }
    });
  }

  it("prints every character of a long title and serial: wrapped, never cut", () => {
    const title = "PrivateBox Appliance for Small Offices and Home Networks";
    const serial = "a1b2c3d4-5678-90ab-cdef-1234567890ab-extra-long-serial";
    const layout = layoutLabel(sampleLabel({ title, serial }));
    const bold = layout.lines.filter((l) => l.face === "bold").map((l) => l.text);
    expect(bold.length).toBeGreaterThan(2);
    expect(bold.join("").replace(/\s/g, "")).toBe((title + serial).replace(/\s/g, ""));
  });

  it("shrinks a long password rather than breaking it over lines", () => {
    const long = "correct-horse-battery-staple-0Ol1I-and-more";
    const layout = layoutLabel(
      sampleLabel({ fields: [{ caption: "SSH", value: long, secret: true, monospace: true }] }),
    );
    const mono = layout.lines.filter((l) => l.face === "mono");
    expect(mono.map((l) => l.text)).toEqual([long]);
    expect(mono[0]!.size).toBeGreaterThanOrEqual(2);
  });

  it("refuses a password that cannot fit at a legible size", () => {
    const value = "x".repeat(120);
    expect(() =>
      layoutLabel(sampleLabel({ fields: [{ caption: "SSH", value, secret: true, monospace: true }] })),
    ).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });

  it("refuses text that cannot fit a small label, and QR content too long for it", () => {
    const fields = Array.from({ length: 12 }, (_, i) => ({
      caption: `Field ${i}`,
      value: `value number ${i}`,
    }));
    expect(() => layoutLabel(sampleLabel({ fields, widthMm: 50, heightMm: 25 }))).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("does not fit") }),
    );
    expect(() =>
      layoutLabel(sampleLabel({ qr: "https://x/".repeat(60), widthMm: 50, heightMm: 25 })),
    ).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("QR") }));
  });

  it.each([
    ["an empty serial", { serial: " " }],
    ["a line break in the title", { title: "Private\nBox" }],
    ["a character no label font has", { title: "Box \u{1F4E6}" }],
    ["a field without value", { fields: [{ caption: "SSH", value: "" }] }],
    ["a tiny label", { widthMm: 10, heightMm: 5 }],
  ])("refuses %s with INVALID_ARGUMENT", (_what, overrides) => {
    expect(() => layoutLabel(sampleLabel(overrides))).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("masks secrets for previews, keeping their length", () => {
    const layout = layoutLabel(sampleLabel(), { maskSecrets: true });
    const text = layout.lines.map((l) => l.text).join(" ");
    for (const f of sampleLabel().fields) {
      expect(text).not.toContain(f.value);
      expect(text).toContain("•".repeat(f.value.length));
    }
  });

  it("the password face draws 0 and O, and 1, l and I, as clearly different shapes", () => {
    const mono = loadFace("mono");
    const size = 2.5 * MM_203;
    const glyph = (ch: string) => {
      const b = createBitmap(24, 24);
      drawText(b, mono, ch, 2, 20, size);
      return b.data;
    };
    const differ = (a: string, b: string): number => {
      const x = glyph(a);
      const y = glyph(b);
      let n = 0;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) n++;
      return n;
    };
    expect(differ("0", "O")).toBeGreaterThanOrEqual(8);
    expect(differ("1", "l")).toBeGreaterThanOrEqual(8);
    expect(differ("1", "I")).toBeGreaterThanOrEqual(8);
    expect(differ("l", "I")).toBeGreaterThanOrEqual(8);
  });
});
