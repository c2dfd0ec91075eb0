import {
  checkPrintable,
  createError,
  deadline,
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
} from "@factory/core";
import { PKG, printerError } from "../errors";
import { renderPdf } from "../render/pdf";
import {
  attributeValues,
  type IppAttribute,
  type IppMessage,
  Operation,
  operationAttributes,
  Tag,
} from "./encoding";
import { ippPrinterStatus } from "./printer-state";
import { type IppEndpoint, ippExchange, parseIppUrl } from "./transport";

/** When a job counts as accepted by the spooler. */
export type IppConfirm = "queued" | "processing" | "completed";

/** The spooler took a job: its Print-Job response was successful and named the job. */
export interface IppJobAccepted {
  /** The id the receipt will carry: `<printer name>#<job-id>`. */
  jobId: string;
  /** The spooler's job-id. */
  ippJobId: number;
  /** The IPP status of the Print-Job response (0x0000 successful-ok, 0x0001, 0x0002). */
  status: number;
  /** PDF bytes sent. */
  bytes: number;
  /** When the response was read. */
  at: Date;
}

export interface IppPrinterOptions {
  /** `ipp://cups-host:631/printers/<queue>` or an IPP Everywhere printer's `ipp://host/ipp/print`. */
  url: string;
  /** Resolution the PDF is laid out for (QR modules on the dot grid): 203 (default) or 300. */
  dpi?: number;
  /** Largest label, mm (default 104 × 300). */
  maxWidthMm?: number;
  maxHeightMm?: number;
  /** requesting-user-name; default `factory`. */
  userName?: string;
  /**
   * `completed` (default): the spooler finished the job (sent it to the device);
   * `processing`: the spooler started it; `queued`: Print-Job returned a job id.
   */
  confirm?: IppConfirm;
  /** Bound for one IPP request (default 5000 ms). */
  requestTimeoutMs?: number;
  /** Bound for a whole print, from status check to confirmation (default 30000 ms). */
  printTimeoutMs?: number;
  /** Interval of Get-Job-Attributes polls (default 100 ms). */
  pollMs?: number;
  name?: string;
  /**
   * Called as soon as the spooler takes a job (Print-Job successful, job id known), before
   * `print()` follows it to `confirm`; the same moment is logged as "label accepted". A job
   * that then fails is cancelled and `print()` rejects as usual. Errors it throws are logged.
   */
  onAccepted?: (accepted: IppJobAccepted) => void;
  logger?: Logger;
}

const JOB_STATE: Record<number, string> = {
  3: "pending",
  4: "pending-held",
  5: "processing",
  6: "processing-stopped",
  7: "canceled",
  8: "aborted",
  9: "completed",
};

const STATUS_NAMES: Record<number, string> = {
  1024: "bad request",
  1025: "forbidden",
  1026: "not authenticated",
  1027: "not authorized",
  1030: "no such printer or queue",
  1034: "document format not supported",
  1280: "spooler internal error",
  1286: "not accepting jobs",
  1287: "busy",
};

let requestIds = 0;

/**
 * A printer behind CUPS or an IPP Everywhere device: labels go as PDF in a Print-Job. Before
 * printing it reads printer-state and printer-state-reasons and refuses on a fault. When the
 * Print-Job response is successful (the job id known) it logs "label accepted" and calls
 * `onAccepted`; then it follows the job with Get-Job-Attributes until `confirm` is reached
 * ("label confirmed") and only then resolves. A job that fails, is held or times out after
 * submission is cancelled, so no label appears later by surprise.
 *
 * @example
 * const printer = createIppPrinter({ url: "ipp://print-server:631/printers/label-station-1" });
 */
export class IppPrinter implements Printer {
  readonly name: string;
  readonly capabilities: PrinterCapabilities;
  private readonly endpoint: IppEndpoint;
  private readonly dpi: number;
  private readonly userName: string;
  private readonly confirm: IppConfirm;
  private readonly requestTimeoutMs: number;
  private readonly printTimeoutMs: number;
  private readonly pollMs: number;
  private readonly onAccepted: ((accepted: IppJobAccepted) => void) | undefined;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: IppPrinterOptions) {
    if (typeof options?.url !== "string") {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        "The IPP printer needs a url (ipp://host:631/printers/<queue>)",
      );
    }
    this.endpoint = parseIppUrl(options.url);
    this.dpi = options.dpi ?? 203;
    if (![203, 300, 600].includes(this.dpi)) {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        `Labels are laid out for 203, 300 or 600 dpi, not ${this.dpi}`,
      );
    }
    const confirm = options.confirm ?? "completed";
    if (!["queued", "processing", "completed"].includes(confirm)) {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        `confirm must be queued, processing or completed, not "${confirm}"`,
      );
    }
    this.confirm = confirm;
    this.userName = options.userName ?? "factory";
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.printTimeoutMs = options.printTimeoutMs ?? 30_000;
    this.pollMs = options.pollMs ?? 100;
    if (options.onAccepted !== undefined && typeof options.onAccepted !== "function") {
      throw printerError(ErrorCodes.CONFIG_INVALID, "onAccepted must be a function");
    }
    this.onAccepted = options.onAccepted;
    this.name = options.name ?? `ipp@${this.endpoint.printerUri.replace(/^ipps?:\/\//, "")}`;
    this.capabilities = {
      formats: ["pdf"],
      dpi: [this.dpi],
      maxWidthMm: options.maxWidthMm ?? 104,
      maxHeightMm: options.maxHeightMm ?? 300,
      deviceStatus: true,
    };
    this.logger = (options.logger ?? noopLogger).child({ printer: this.name });
  }

  /** Get-Printer-Attributes. No spooler: `offline`. */
  async status(options: SignalOptions = {}): Promise<PrinterStatus> {
    throwIfAborted(options.signal, PKG);
    this.assertOpen();
    try {
      return await this.readStatus(options.signal);
    } catch (error) {
      const unreachable =
        isFactoryError(error, ErrorCodes.PRINTER_OFFLINE) ||
        (isFactoryError(error, ErrorCodes.TIMEOUT) && !options.signal?.aborted);
      if (unreachable) return { state: "offline", detail: (error as Error).message };
      throw error;
    }
  }

  async print(job: PrintJob, options: SignalOptions = {}): Promise<PrintReceipt> {
    throwIfAborted(options.signal, PKG);
    this.assertOpen();
    checkPrintable(job, this.capabilities, PKG);
    const pdf = await renderPdf(job.label, { dpi: this.dpi, copies: job.copies ?? 1 });
    const bound = deadline(options.signal, this.printTimeoutMs, `Printing on ${this.name}`, PKG);
    try {
      const signal = bound.signal;
      const before = await this.readStatus(signal);
      const fault = stateError(before, PKG);
      if (fault) throw fault;
      const reply = await this.exchange(
        Operation.printJob,
        [
          { name: "requesting-user-name", tag: Tag.name, values: [this.userName] },
          { name: "job-name", tag: Tag.name, values: [safeJobName(job)] },
          { name: "document-format", tag: Tag.mimeMediaType, values: ["application/pdf"] },
        ],
        signal,
        pdf,
      );
      const jobId = attributeValues(reply, "job-id", Tag.job)?.[0];
      if (typeof jobId !== "number")
        throw printerError(ErrorCodes.PRINTER_REJECTED, `${this.name} accepted the job without a job id`);
      const accepted = this.accepted(jobId, reply.code, pdf.length);
      try {
        await this.follow(jobId, signal);
      } catch (error) {
        await this.cancel(jobId);
        throw error;
      }
      const receipt: PrintReceipt = {
        jobId: accepted.jobId,
        acceptedAt: accepted.at,
        bytes: pdf.length,
      };
      this.logger.info("label confirmed", {
        jobId: receipt.jobId,
        confirm: this.confirm,
        afterAcceptedMs: Date.now() - accepted.at.getTime(),
      });
      return receipt;
    } catch (error) {
      if (bound.signal.aborted && !isFactoryError(error, [ErrorCodes.ABORTED, ErrorCodes.TIMEOUT])) {
        throw createError(PKG, ErrorCodes.ABORTED, "The print was cancelled", { cause: error });
      }
      throw error;
    } finally {
      bound.dispose();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async follow(jobId: number, signal: AbortSignal): Promise<void> {
    if (this.confirm === "queued") return;
    for (;;) {
      const reply = await this.exchange(
        Operation.getJobAttributes,
        [
          { name: "job-id", tag: Tag.integer, values: [jobId] },
          { name: "requesting-user-name", tag: Tag.name, values: [this.userName] },
          {
            name: "requested-attributes",
            tag: Tag.keyword,
            values: ["job-state", "job-state-reasons", "job-state-message"],
          },
        ],
        signal,
      );
      const state = attributeValues(reply, "job-state", Tag.job)?.[0];
      const reasons = (attributeValues(reply, "job-state-reasons", Tag.job) ?? []).map(String);
      if (state === 9 || (state === 5 && this.confirm === "processing")) return;
      if (state === 7 || state === 8 || state === 4) {
        throw printerError(
          ErrorCodes.PRINTER_REJECTED,
          `${this.name} did not print job ${jobId}: ${JOB_STATE[state]} (${reasons.join(", ") || "no reason given"})`,
          { details: { jobId, jobState: JOB_STATE[state], reasons } },
        );
      }
      if (state === 6) {
        const status = await this.readStatus(signal);
        throw (
          stateError(status, PKG) ??
          printerError(
            ErrorCodes.PRINTER_REJECTED,
            `${this.name} stopped job ${jobId} (${reasons.join(", ")})`,
            {
              details: { jobId, reasons },
            },
          )
        );
      }
      await sleep(this.pollMs, signal);
    }
  }

  /** The spooler took job `ippJobId`: logs "label accepted" and tells `onAccepted`. */
  private accepted(ippJobId: number, status: number, bytes: number): IppJobAccepted {
    const accepted: IppJobAccepted = {
      jobId: `${this.name}#${ippJobId}`,
      ippJobId,
      status,
      bytes,
      at: new Date(),
    };
    this.logger.info("label accepted", { jobId: accepted.jobId, bytes, status, confirm: this.confirm });
    try {
      this.onAccepted?.(accepted);
    } catch (error) {
      this.logger.warn("onAccepted threw", {
        jobId: accepted.jobId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    return accepted;
  }

  /** Best-effort Cancel-Job with its own short bound, so a failed label never prints later. */
  private async cancel(jobId: number): Promise<void> {
    try {
      await this.exchange(
        Operation.cancelJob,
        [
          { name: "job-id", tag: Tag.integer, values: [jobId] },
          { name: "requesting-user-name", tag: Tag.name, values: [this.userName] },
        ],
        undefined,
      );
      this.logger.warn("job cancelled after a failure", { jobId });
    } catch (error) {
      this.logger.error("could not cancel a failed job; it may still print", {
        jobId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private async readStatus(signal: AbortSignal | undefined): Promise<PrinterStatus> {
    const reply = await this.exchange(
      Operation.getPrinterAttributes,
      [
        { name: "requesting-user-name", tag: Tag.name, values: [this.userName] },
        {
          name: "requested-attributes",
          tag: Tag.keyword,
          values: [
            "printer-state",
            "printer-state-reasons",
            "printer-is-accepting-jobs",
            "printer-state-message",
            "queued-job-count",
          ],
        },
      ],
      signal,
    );
    const one = <T>(name: string): T | undefined =>
      attributeValues(reply, name, Tag.printer)?.[0] as T | undefined;
    return ippPrinterStatus({
      state: one<number>("printer-state"),
      reasons: (attributeValues(reply, "printer-state-reasons", Tag.printer) ?? []).map(String),
      accepting: one<boolean>("printer-is-accepting-jobs"),
      message: one<string>("printer-state-message"),
      queued: one<number>("queued-job-count"),
    });
  }

  private async exchange(
    operation: number,
    attributes: IppAttribute[],
    signal: AbortSignal | undefined,
    data?: Uint8Array,
  ): Promise<IppMessage> {
    requestIds = (requestIds % 0x7fffffff) + 1;
    const request: IppMessage = {
      code: operation,
      requestId: requestIds,
      groups: [operationAttributes(this.endpoint.printerUri, attributes)],
      ...(data ? { data } : {}),
    };
    const reply = await ippExchange(this.endpoint, request, { signal, timeoutMs: this.requestTimeoutMs });
    if (reply.code >= 0x0400) {
      const message = attributeValues(reply, "status-message", Tag.operation)?.[0];
      const what = STATUS_NAMES[reply.code] ?? `IPP status 0x${reply.code.toString(16).padStart(4, "0")}`;
      throw printerError(
        ErrorCodes.PRINTER_REJECTED,
        `${this.name} refused the request: ${what}${typeof message === "string" ? ` (${message})` : ""}`,
        { details: { status: reply.code, operation }, retryable: reply.code === 0x0507 },
      );
    }
    return reply;
  }

  private assertOpen(): void {
    if (this.closed) throw printerError(ErrorCodes.INVALID_ARGUMENT, `${this.name} is closed`);
  }
}

/** A job name for spooler queues that never carries a secret of the label. */
function safeJobName(job: PrintJob): string {
  const name = (job.jobName ?? `label ${job.label.serial}`).slice(0, 200);
  const secrets = job.label.fields.filter((f) => f.secret && f.value).map((f) => f.value);
  return secrets.some((s) => name.includes(s)) ? "label" : name;
}

/** Creates an IPP printer (CUPS queue or IPP Everywhere device). */
export function createIppPrinter(options: IppPrinterOptions): IppPrinter {
  return new IppPrinter(options);
}
