import { type SignalOptions, sleep, throwIfAborted } from "../abort";
import type {
  Printer,
  PrinterCapabilities,
  PrinterState,
  PrinterStatus,
  PrintJob,
  PrintReceipt,
} from "../contracts/printer";
import { createError, ErrorCodes } from "../errors";
import { checkPrintable, stateError } from "../printing/states";

const PKG = "core/testing";

/** A printer whose state tests control; it keeps every accepted job for inspection. */
export interface FakePrinter extends Printer {
  /** Jobs the printer accepted, in order. */
  readonly jobs: PrintJob[];
  setState(state: PrinterState, detail?: string): void;
  /** The next print is never answered (until its signal fires): a printer that went silent. */
  hangNext(): void;
  /** Milliseconds each print takes to be accepted. */
  latencyMs: number;
}

export function createFakePrinter(
  options: { name?: string; capabilities?: Partial<PrinterCapabilities> } = {},
): FakePrinter {
  let state: PrinterStatus = { state: "ready" };
  let hang = false;
  let seq = 0;
  const jobs: PrintJob[] = [];
  const capabilities: PrinterCapabilities = {
    formats: ["zpl", "pdf"],
    dpi: [203, 300],
    maxWidthMm: 104,
    maxHeightMm: 152,
    deviceStatus: true,
    ...options.capabilities,
  };
  const printer: FakePrinter = {
    name: options.name ?? "fake-printer",
    capabilities,
    jobs,
    latencyMs: 0,
    setState(next, detail) {
      state = detail ? { state: next, detail } : { state: next };
    },
    hangNext() {
      hang = true;
    },
    async status(opts?: SignalOptions) {
      throwIfAborted(opts?.signal, PKG);
      return { ...state };
    },
    async print(job: PrintJob, opts?: SignalOptions): Promise<PrintReceipt> {
      throwIfAborted(opts?.signal, PKG);
      checkPrintable(job, capabilities, PKG);
      if (hang) {
        hang = false;
        await new Promise<never>((_, reject) => {
          const onAbort = (): void => reject(createError(PKG, ErrorCodes.ABORTED, "Print cancelled"));
          if (opts?.signal?.aborted) onAbort();
          opts?.signal?.addEventListener("abort", onAbort, { once: true });
        });
      }
      const error = stateError(state, PKG);
      if (error) throw error;
      if (printer.latencyMs > 0) await sleep(printer.latencyMs, opts?.signal);
      jobs.push(structuredClone(job));
      seq += 1;
      return { jobId: `fake-${seq}`, acceptedAt: new Date(), bytes: JSON.stringify(job.label).length };
    },
    async close() {},
  };
  return printer;
}
