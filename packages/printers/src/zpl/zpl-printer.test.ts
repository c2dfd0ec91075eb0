import { isFactoryError, type Label } from "@factory/core";
import { describePrinterConformance, sampleLabel } from "@factory/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ZplPrinterSimulator } from "../simulator";
import { createZplPrinter, type ZplPrinter } from "./zpl-printer";

describePrinterConformance("ZPL over TCP 9100 (simulator)", async () => {
  const sim = await ZplPrinterSimulator.start();
  const printer = createZplPrinter({
    host: sim.host,
    port: sim.port,
    statusTimeoutMs: 300,
    connectTimeoutMs: 500,
  });
  return {
    printer,
    setState: (state) => sim.setState(state),
    lastOutput: async () => sim.formats.at(-1),
    teardown: async () => {
      await printer.close();
      await sim.stop();
    },
  };
});

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFactoryError(error)).toBe(true);
  return error as { code: string; message: string };
}

describe("ZPL printer on the wire", () => {
  let sim: ZplPrinterSimulator;
  let printer: ZplPrinter;
  const label: Label = sampleLabel();

  beforeEach(async () => {
    sim = await ZplPrinterSimulator.start({ printMs: 30 });
    printer = createZplPrinter({
      host: sim.host,
      port: sim.port,
      statusTimeoutMs: 300,
      connectTimeoutMs: 500,
    });
  });
  afterEach(async () => {
    await sim.stop();
  });

  it("asks ~HS before and after the format and sends exactly one complete format", async () => {
    const receipt = await printer.print({ label, copies: 2 });
    expect(sim.statusQueries).toBe(2);
    expect(sim.formats).toHaveLength(1);
    const zpl = sim.formats[0]!;
    expect(zpl.startsWith("^XA")).toBe(true);
    expect(zpl.endsWith("^XZ")).toBe(true);
    expect(zpl).toContain("^PQ2");
    expect(zpl).toContain(`^FDQA,${label.qr}^FS`);
    expect(receipt.bytes).toBe(Buffer.byteLength(zpl, "utf8") + 1);
  });

  it("passwords travel as graphics, not as text in the ZPL", async () => {
    await printer.print({ label });
    for (const field of label.fields) expect(sim.formats[0]).not.toContain(field.value);
    expect(sim.formats[0]).toContain("^GFA,");
  });

  it("reports the formats waiting in the printer's buffer", async () => {
    const slow = await ZplPrinterSimulator.start({ printMs: 10_000 });
    const p = createZplPrinter({ host: slow.host, port: slow.port, statusTimeoutMs: 300 });
    await p.print({ label });
    await p.print({ label });
    expect(await p.status()).toEqual({ state: "ready", queued: 2 });
    expect(slow.printed).toHaveLength(0);
    await slow.stop();
  });

  it("a label printed while paused is refused before anything is sent", async () => {
    sim.setState("paused");
    const error = await failure(printer.print({ label }));
    expect(error.code).toBe("PRINTER_PAUSED");
    expect(sim.formats).toHaveLength(0);
  });

  it("a head opened while the label was being sent rejects after the second ~HS", async () => {
    // The second ~HS is the first query the simulator sees after the format: open the head then.
    const original = sim.formats.push.bind(sim.formats);
    sim.formats.push = (...items: string[]) => {
      sim.faults.headOpen = true;
      return original(...items);
    };
    const error = await failure(printer.print({ label }));
    expect(error.code).toBe("PRINTER_HEAD_OPEN");
    expect(sim.statusQueries).toBe(2);
  });

  it("no answer to ~HS: TIMEOUT naming the possible faults, within the bound", async () => {
    sim.mode = "silent";
    const started = Date.now();
    const error = await failure(printer.print({ label }));
    expect(error.code).toBe("TIMEOUT");
    expect(error.message).toMatch(/~HS.*out of labels or ribbon/);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await printer.status()).toMatchObject({ state: "error" });
  });

  it("a printer that refuses the connection is offline", async () => {
    sim.mode = "refuse";
    expect((await failure(printer.print({ label }))).code).toBe("PRINTER_OFFLINE");
    expect((await printer.status()).state).toBe("offline");
  });

  it("nothing listening: PRINTER_OFFLINE", async () => {
    const port = sim.port;
    await sim.stop();
    const gone = createZplPrinter({ host: "127.0.0.1", port, connectTimeoutMs: 500 });
    const error = await failure(gone.print({ label }));
    expect(error.code).toBe("PRINTER_OFFLINE");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    sim = await ZplPrinterSimulator.start();
  });

  it("a printer that closes the connection mid-job: PRINTER_OFFLINE, no receipt", async () => {
    sim.closeAfterFormatBytes = 200;
    const error = await failure(printer.print({ label }));
    expect(error.code).toBe("PRINTER_OFFLINE");
    expect(error.message).toMatch(/closed the connection/);
    expect(sim.formats).toHaveLength(0);
  });

  it("a cancel while waiting for ~HS rejects with ABORTED at once", async () => {
    sim.mode = "silent";
    const controller = new AbortController();
    const pending = printer.print({ label }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).code).toBe("ABORTED");
  });

  it("the whole print is bounded even when the printer answers too slowly each time", async () => {
    const slow = createZplPrinter({
      host: sim.host,
      port: sim.port,
      statusTimeoutMs: 10_000,
      printTimeoutMs: 400,
    });
    sim.mode = "silent";
    const started = Date.now();
    expect((await failure(slow.print({ label }))).code).toBe("TIMEOUT");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("bad labels are refused before connecting", async () => {
    const error = await failure(printer.print({ label: sampleLabel({ serial: "" }) }));
    expect(error.code).toBe("INVALID_ARGUMENT");
    expect(sim.statusQueries).toBe(0);
  });

  it("rejects bad configuration with CONFIG_INVALID", () => {
    expect(() => createZplPrinter({ host: "" })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    expect(() => createZplPrinter({ host: "p", dpi: 250 })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
  });
});
