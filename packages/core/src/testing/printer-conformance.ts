import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Label } from "../contracts/label";
import type { Printer, PrinterState } from "../contracts/printer";
import { isFactoryError } from "../errors";
import type { ConformanceOptions } from "./board-conformance";

export interface PrinterConformanceSetup {
  printer: Printer;
  /**
   * Puts the device (or its simulator) into a state; omitted for printers whose state cannot be
   * driven from a test. `offline` means it stops answering.
   */
  setState?: (state: PrinterState) => Promise<void> | void;
  /** What the device or spooler received for the last job, as text (ZPL, PDF text layer…). */
  lastOutput?: () => Promise<string | undefined>;
  teardown?: () => Promise<void>;
}

/** A label as the labeling station prints it, with two secrets on it. */
export function sampleLabel(overrides: Partial<Label> = {}): Label {
  return {
    title: "PrivateBox",
    serial: "a1b2c3d4-5678-90ab-cdef-1234567890ab",
    fields: [
      { caption: "SSH", value: "confett1-j0gging-App3NDix", secret: true, monospace: true },
      { caption: "Web", value: "4ntENNAe-B4sil-mat3rnIty", secret: true, monospace: true },
    ],
    qr: "https://privatebox.dk/setup?serial=a1b2c3d4-5678-90ab-cdef-1234567890ab",
    footer: "privatebox.dk/setup",
    widthMm: 100,
    heightMm: 50,
    ...overrides,
  };
}

/**
 * The behaviour every {@link Printer} must show: it reports its state, accepts a good job with a
 * receipt, and refuses loudly (coded error, bounded time) when it cannot print.
 */
export function describePrinterConformance(
  name: string,
  setup: () => Promise<PrinterConformanceSetup>,
  options: ConformanceOptions = {},
): void {
  describe(`Printer conformance: ${name}`, () => {
    let ctx: PrinterConformanceSetup;
    beforeEach(async () => {
      ctx = await setup();
    });
    afterEach(async () => {
      await ctx?.teardown?.();
    });
    const test = (title: string, fn: () => Promise<void>): void => {
      const reason = options.skip?.[title];
      if (reason) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn, options.timeoutMs);
    };

    test("reports ready and declares what it prints", async () => {
      expect((await ctx.printer.status()).state).toBe("ready");
      expect(ctx.printer.capabilities.formats.length).toBeGreaterThan(0);
      expect(ctx.printer.capabilities.dpi.length).toBeGreaterThan(0);
    });

    test("accepts a label with a unique receipt", async () => {
      const first = await ctx.printer.print({ label: sampleLabel(), jobName: "unit a1b2c3d4" });
      const second = await ctx.printer.print({
        label: sampleLabel({ serial: "ffff0000-5678-90ab-cdef-1234567890ab" }),
      });
      expect(first.jobId).not.toBe(second.jobId);
      expect(first.bytes).toBeGreaterThan(0);
      expect(first.acceptedAt).toBeInstanceOf(Date);
      const output = await ctx.lastOutput?.();
      if (output !== undefined) expect(output).toContain("ffff0000");
    });

    test("a receipt never carries the label's secrets", async () => {
      const label = sampleLabel();
      const receipt = await ctx.printer.print({ label });
      const text = JSON.stringify(receipt);
      for (const field of label.fields.filter((f) => f.secret)) expect(text).not.toContain(field.value);
    });

    test("refuses a label larger than its media", async () => {
      const huge = sampleLabel({ widthMm: 10_000, heightMm: 10_000 });
      await expect(ctx.printer.print({ label: huge })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    });

    const refusals: [PrinterState, string[]][] = [
      ["paper-out", ["PRINTER_PAPER_OUT"]],
      ["head-open", ["PRINTER_HEAD_OPEN"]],
      ["paused", ["PRINTER_PAUSED"]],
      ["offline", ["PRINTER_OFFLINE", "TIMEOUT"]],
    ];
    for (const [state, codes] of refusals) {
      test(`refuses to print when ${state}`, async () => {
        if (!ctx.setState) return;
        await ctx.setState(state);
        const error = await ctx.printer.print({ label: sampleLabel() }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isFactoryError(error)).toBe(true);
        expect(codes).toContain((error as { code: string }).code);
      });
    }

    test("a cancelled print rejects with ABORTED", async () => {
      const controller = new AbortController();
      controller.abort();
      await expect(
        ctx.printer.print({ label: sampleLabel() }, { signal: controller.signal }),
      ).rejects.toMatchObject({
        code: "ABORTED",
      });
    });
  });
}
