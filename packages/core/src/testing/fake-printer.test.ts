import { describe, expect, it } from "vitest";
import { createFakePrinter } from "./fake-printer";
import { describePrinterConformance, sampleLabel } from "./printer-conformance";

describePrinterConformance("fake printer", async () => {
  const printer = createFakePrinter();
  return {
    printer,
    setState: (state) => printer.setState(state),
    lastOutput: async () => (printer.jobs.length ? JSON.stringify(printer.jobs.at(-1)) : undefined),
  };
});

describe("fake printer", () => {
  it("a silent printer is bounded by the caller's signal", async () => {
    const printer = createFakePrinter();
    printer.hangNext();
    await expect(
      printer.print({ label: sampleLabel() }, { signal: AbortSignal.timeout(30) }),
    ).rejects.toMatchObject({
      code: "ABORTED",
    });
    expect(printer.jobs).toHaveLength(0);
  });
});
