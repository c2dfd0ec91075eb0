import type { SignalOptions } from "../abort";
import type { Label } from "./label";

export type PrinterState =
  | "ready"
  | "busy"
  | "paper-out"
  | "ribbon-out"
  | "head-open"
  | "paused"
  | "offline"
  | "error";

export interface PrinterStatus {
  state: PrinterState;
  /** Human-readable detail from the device or spooler (`media-empty`, `~HS paper out flag`). */
  detail?: string;
  /** Labels or jobs waiting, when known. */
  queued?: number;
}

export interface PrinterCapabilities {
  /** What the printer consumes on the wire. */
  formats: readonly ("zpl" | "pdf" | "png")[];
  /** Resolutions it can print at. */
  dpi: readonly number[];
  /** Largest printable label, mm. */
  maxWidthMm: number;
  maxHeightMm: number;
  /** `status()` reflects the device (true) or only the connection (false). */
  deviceStatus: boolean;
}

export interface PrintJob {
  label: Label;
  copies?: number;
  /** Name shown in spooler queues; never contains secrets. */
  jobName?: string;
}

export interface PrintReceipt {
  /** Spooler job id or a printer-side sequence; unique per printer. */
  jobId: string;
  acceptedAt: Date;
  /** Bytes sent to the device or spooler. */
  bytes: number;
  /** Where a file printer wrote the label. */
  file?: string;
}

/**
 * A label printer. `print` resolves only when the device or spooler accepted the job and
 * rejects otherwise: `PRINTER_PAPER_OUT`, `PRINTER_HEAD_OPEN`, `PRINTER_RIBBON_OUT`,
 * `PRINTER_PAUSED`, `PRINTER_OFFLINE`, `PRINTER_REJECTED`, `TIMEOUT`, `ABORTED`. Never a silent success.
 */
export interface Printer {
  readonly name: string;
  readonly capabilities: PrinterCapabilities;
  status(options?: SignalOptions): Promise<PrinterStatus>;
  print(job: PrintJob, options?: SignalOptions): Promise<PrintReceipt>;
  close(): Promise<void>;
}
