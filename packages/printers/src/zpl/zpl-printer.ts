import {
  checkPrintable,
  ErrorCodes,
  isFactoryError,
  type Logger,
  noopLogger,
  type Printer,
  type PrinterCapabilities,
  type PrinterStatus,
  type PrintJob,
  type PrintReceipt,
  type SignalOptions,
  sleep,
  stateError,
  throwIfAborted,
  withDeadline,
} from "@factory/core";
import { PKG, printerError } from "../errors";
import { layoutLabel } from "../render/layout";
import { layoutToZpl } from "../render/zpl";
import { RawConnection } from "./connection";
import { type HostStatus, toPrinterStatus } from "./host-status";

export interface ZplPrinterOptions {
  /** The printer's address. */
  host: string;
  /** Raw TCP port; 9100 on every Zebra-class printer. */
  port?: number;
  /** Print head resolution: 203 (8 dots/mm, default), 300 or 600. */
  dpi?: number;
  /** Largest label the printer takes, mm (default 104 × 300: a 4-inch head). */
  maxWidthMm?: number;
  maxHeightMm?: number;
  /** Name in logs and records; defaults to `zpl@host:port`. */
  name?: string;
  /** Bound for the TCP connection (default 3000 ms). */
  connectTimeoutMs?: number;
  /** Bound for one `~HS` answer (default 2000 ms). */
  statusTimeoutMs?: number;
  /** Bound for a whole print: connect, status, send, confirm (default 15000 ms). */
  printTimeoutMs?: number;
  logger?: Logger;
}

let sequence = 0;

/**
 * A Zebra-class thermal printer over raw TCP 9100. `print` reads `~HS` first and refuses on any
 * fault (paper out, head open, ribbon out, pause, corrupt RAM, temperature, full buffer, no
 * answer), sends one ZPL format, then reads `~HS` again: the job counts as accepted only when the
 * printer took the whole format (no partial format) and reports no fault.
 *
 * @example
 * const printer = createZplPrinter({ host: "10.0.5.20", dpi: 203 });
 * const receipt = await printer.print({ label }, { signal });
 */
export class ZplPrinter implements Printer {
  readonly name: string;
  readonly capabilities: PrinterCapabilities;
  private readonly endpoint: { host: string; port: number };
  private readonly dpi: number;
  private readonly logger: Logger;
  private readonly connectTimeoutMs: number;
  private readonly statusTimeoutMs: number;
  private readonly printTimeoutMs: number;
  private closed = false;

  constructor(options: ZplPrinterOptions) {
    if (typeof options?.host !== "string" || !options.host.trim()) {
      throw printerError(ErrorCodes.CONFIG_INVALID, "The ZPL printer needs the printer's address (host)");
    }
    const port = options.port ?? 9100;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw printerError(ErrorCodes.CONFIG_INVALID, `Port ${port} is not a TCP port`);
    }
    this.dpi = options.dpi ?? 203;
    if (![203, 300, 600].includes(this.dpi)) {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        `A ZPL printer head is 203, 300 or 600 dpi, not ${this.dpi}`,
      );
    }
    this.endpoint = { host: options.host, port };
    this.name = options.name ?? `zpl@${options.host}:${port}`;
    this.capabilities = {
      formats: ["zpl"],
      dpi: [this.dpi],
      maxWidthMm: options.maxWidthMm ?? 104,
      maxHeightMm: options.maxHeightMm ?? 300,
      deviceStatus: true,
    };
    this.connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    this.statusTimeoutMs = options.statusTimeoutMs ?? 2000;
    this.printTimeoutMs = options.printTimeoutMs ?? 15_000;
    this.logger = (options.logger ?? noopLogger).child({ printer: this.name });
  }

  /** Reads `~HS`. No connection: `offline`. No answer: `error` (the printer may be in a fault). */
  async status(options: SignalOptions = {}): Promise<PrinterStatus> {
    throwIfAborted(options.signal, PKG);
    this.assertOpen();
    const bound = this.connectTimeoutMs + this.statusTimeoutMs;
    try {
      return await withDeadline(
        `Reading the status of ${this.name}`,
        { signal: options.signal, timeoutMs: bound },
        async (signal) => {
          const conn = await this.connect(signal);
          try {
            return toPrinterStatus(await conn.hostStatus(signal, this.statusTimeoutMs));
          } finally {
            conn.close();
          }
        },
        PKG,
      );
    } catch (error) {
      if (isFactoryError(error, ErrorCodes.PRINTER_OFFLINE))
        return { state: "offline", detail: error.message };
      if (isFactoryError(error, ErrorCodes.TIMEOUT) && !options.signal?.aborted) {
        return {
          state: "error",
          detail: "no answer to ~HS (the printer may be out of labels or ribbon, or open)",
        };
      }
      throw error;
    }
  }

  async print(job: PrintJob, options: SignalOptions = {}): Promise<PrintReceipt> {
    throwIfAborted(options.signal, PKG);
    this.assertOpen();
    checkPrintable(job, this.capabilities, PKG);
    const zpl = layoutToZpl(layoutLabel(job.label, { dpi: this.dpi }), job.copies ?? 1);
    return withDeadline(
      `Printing on ${this.name}`,
      { signal: options.signal, timeoutMs: this.printTimeoutMs },
      async (signal) => {
        const conn = await this.connect(signal);
        try {
          const before = await conn.hostStatus(signal, this.statusTimeoutMs);
          this.refuseOnFault(before, "before printing");
          if (before.bufferFull) {
            throw printerError(
              ErrorCodes.PRINTER_REJECTED,
              `${this.name} has a full receive buffer; try again shortly`,
              {
                retryable: true,
              },
            );
          }
          const bytes = await conn.write(zpl, signal);
          const after = await this.confirm(conn, signal);
          sequence += 1;
          const receipt: PrintReceipt = {
            jobId: `${this.name}#${Date.now().toString(36)}-${sequence}`,
            acceptedAt: new Date(),
            bytes,
          };
          this.logger.info("label accepted", {
            jobId: receipt.jobId,
            bytes,
            formatsBefore: before.formatsInBuffer,
            formatsAfter: after.formatsInBuffer,
          });
          return receipt;
        } finally {
          conn.close();
        }
      },
      PKG,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** `~HS` after the format: the printer must have parsed it to `^XZ` and show no fault. */
  private async confirm(conn: RawConnection, signal: AbortSignal): Promise<HostStatus> {
    for (let attempt = 0; ; attempt++) {
      const after = await conn.hostStatus(signal, this.statusTimeoutMs);
      this.refuseOnFault(after, "after the label was sent");
      if (!after.partialFormat) return after;
      if (attempt >= 10) {
        throw printerError(
          ErrorCodes.PRINTER_REJECTED,
          `${this.name} holds an incomplete label format after the whole label was sent; the label will not print`,
        );
      }
      await sleep(50, signal);
    }
  }

  private refuseOnFault(hs: HostStatus, when: string): void {
    const status = toPrinterStatus(hs);
    const error = stateError(status, PKG);
    if (error) {
      this.logger.warn(`printer fault ${when}`, { state: status.state, detail: status.detail });
      throw error;
    }
  }

  private async connect(signal: AbortSignal): Promise<RawConnection> {
    return withDeadline(
      `Connecting to ${this.name}`,
      { signal, timeoutMs: this.connectTimeoutMs },
      (s) => RawConnection.open(this.endpoint, s),
      PKG,
    ).catch((error: unknown) => {
      if (isFactoryError(error, ErrorCodes.TIMEOUT) && !signal.aborted) {
        throw printerError(
          ErrorCodes.PRINTER_OFFLINE,
          `The printer at ${this.endpoint.host}:${this.endpoint.port} did not accept a connection within ${this.connectTimeoutMs} ms`,
          { cause: error, details: { ...this.endpoint } },
        );
      }
      throw error;
    });
  }

  private assertOpen(): void {
    if (this.closed) throw printerError(ErrorCodes.INVALID_ARGUMENT, `${this.name} is closed`);
  }
}

/** Creates a ZPL printer on raw TCP 9100. */
export function createZplPrinter(options: ZplPrinterOptions): ZplPrinter {
  return new ZplPrinter(options);
}
