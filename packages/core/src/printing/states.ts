import type { PrinterCapabilities, PrinterStatus, PrintJob } from "../contracts/printer";
import { createError, ErrorCodes, type FactoryError } from "../errors";

/**
 * The coded error for a printer that cannot take a job in `status`, or undefined when it can.
 * Shared by printer implementations so that every printer reports a state the same way.
 */
export function stateError(status: PrinterStatus, pkg: string): FactoryError | undefined {
  const detail = status.detail ? ` (${status.detail})` : "";
  const codes: Partial<Record<PrinterStatus["state"], [string, string]>> = {
    "paper-out": [ErrorCodes.PRINTER_PAPER_OUT, "The printer is out of labels"],
    "ribbon-out": [ErrorCodes.PRINTER_RIBBON_OUT, "The printer is out of ribbon"],
    "head-open": [ErrorCodes.PRINTER_HEAD_OPEN, "The printer head is open"],
    paused: [ErrorCodes.PRINTER_PAUSED, "The printer is paused"],
    offline: [ErrorCodes.PRINTER_OFFLINE, "The printer does not answer"],
    error: [ErrorCodes.PRINTER_REJECTED, "The printer reports an error"],
  };
  const entry = codes[status.state];
  return entry
    ? createError(pkg, entry[0], `${entry[1]}${detail}`, { details: { state: status.state } })
    : undefined;
}

/** Rejects a job the printer cannot print (label larger than the media, no copies). */
export function checkPrintable(job: PrintJob, capabilities: PrinterCapabilities, pkg: string): void {
  const { widthMm, heightMm } = job.label;
  if (
    !(widthMm > 0 && heightMm > 0) ||
    widthMm > capabilities.maxWidthMm ||
    heightMm > capabilities.maxHeightMm
  ) {
    throw createError(
      pkg,
      ErrorCodes.INVALID_ARGUMENT,
      `A ${widthMm}×${heightMm} mm label does not fit this printer (at most ${capabilities.maxWidthMm}×${capabilities.maxHeightMm} mm)`,
      { details: { widthMm, heightMm } },
    );
  }
  if (job.copies !== undefined && (!Number.isInteger(job.copies) || job.copies < 1 || job.copies > 100)) {
    throw createError(
      pkg,
      ErrorCodes.INVALID_ARGUMENT,
      `Copies must be a whole number from 1 to 100, not ${job.copies}`,
    );
  }
}
