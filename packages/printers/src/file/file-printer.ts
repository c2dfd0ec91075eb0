import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
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
  throwIfAborted,
  withDeadline,
} from "@factory/core";
import { PKG, printerError } from "../errors";
import { layoutLabel } from "../render/layout";
import { layoutToPdf } from "../render/pdf";
import { encodePng } from "../render/png";
import { rasterizeLayout } from "../render/raster";

export interface FileRetention {
  /** Keep at most this many label files; the oldest go first. */
  maxFiles?: number;
  /** Delete label files older than this, ms. */
  maxAgeMs?: number;
}

export interface FilePrinterOptions {
  /** Directory the labels go to; created (mode 0700) when missing. */
  dir: string;
  /** `pdf` (default) or `png`. */
  format?: "pdf" | "png";
  /** Resolution the label is laid out (and, for PNG, rasterized) at: 203 (default), 300 or 600. */
  dpi?: number;
  /** Replace secrets by bullets: for previews shown on screens, never for labels that ship. */
  maskSecrets?: boolean;
  retention?: FileRetention;
  maxWidthMm?: number;
  maxHeightMm?: number;
  /** Bound for one label (default 10000 ms). */
  timeoutMs?: number;
  name?: string;
  logger?: Logger;
}

const PREFIX = "label-";
let sequence = 0;

/**
 * A printer that writes each label as a PDF or PNG file: for dry runs, demos and plants that
 * print from another system. Files are written atomically (temporary file, fsync, rename, fsync
 * of the directory) with mode 0600, since labels carry passwords, and old ones are removed by the
 * retention policy after each print.
 *
 * @example
 * const printer = createFilePrinter({ dir: "/var/lib/factory/labels", format: "png", retention: { maxFiles: 500 } });
 */
export class FilePrinter implements Printer {
  readonly name: string;
  readonly capabilities: PrinterCapabilities;
  private readonly dir: string;
  private readonly format: "pdf" | "png";
  private readonly dpi: number;
  private readonly maskSecrets: boolean;
  private readonly retention: FileRetention;
  private readonly timeoutMs: number;
  private readonly logger: Logger;
  private closed = false;

  constructor(options: FilePrinterOptions) {
    if (typeof options?.dir !== "string" || !options.dir.trim()) {
      throw printerError(ErrorCodes.CONFIG_INVALID, "The file printer needs a directory (dir)");
    }
    this.format = options.format ?? "pdf";
    if (this.format !== "pdf" && this.format !== "png") {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        `The file printer writes pdf or png, not "${String(this.format)}"`,
      );
    }
    this.dpi = options.dpi ?? 203;
    if (![203, 300, 600].includes(this.dpi)) {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        `Labels are laid out for 203, 300 or 600 dpi, not ${this.dpi}`,
      );
    }
    const r = options.retention ?? {};
    for (const [key, value] of Object.entries(r)) {
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
        throw printerError(
          ErrorCodes.CONFIG_INVALID,
          `retention.${key} must be a positive whole number, not ${String(value)}`,
        );
      }
    }
    this.retention = r;
    this.dir = path.resolve(options.dir);
    this.maskSecrets = options.maskSecrets === true;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.name = options.name ?? `${this.format}-files@${this.dir}`;
    this.capabilities = {
      formats: [this.format],
      dpi: [this.dpi],
      maxWidthMm: options.maxWidthMm ?? 300,
      maxHeightMm: options.maxHeightMm ?? 300,
      deviceStatus: false,
    };
    this.logger = (options.logger ?? noopLogger).child({ printer: this.name });
  }

  /** `ready` when the directory exists (or can be created) and is writable, else `offline`. */
  async status(options: SignalOptions = {}): Promise<PrinterStatus> {
    throwIfAborted(options.signal, PKG);
    try {
      await this.ensureDir();
      return { state: "ready" };
    } catch (error) {
      return { state: "offline", detail: error instanceof Error ? error.message : String(error) };
    }
  }

  async print(job: PrintJob, options: SignalOptions = {}): Promise<PrintReceipt> {
    throwIfAborted(options.signal, PKG);
    if (this.closed) throw printerError(ErrorCodes.INVALID_ARGUMENT, `${this.name} is closed`);
    checkPrintable(job, this.capabilities, PKG);
    const layout = layoutLabel(job.label, { dpi: this.dpi, maskSecrets: this.maskSecrets });
    return withDeadline(
      `Writing a label to ${this.dir}`,
      { signal: options.signal, timeoutMs: this.timeoutMs },
      async (signal) => {
        const bytes =
          this.format === "pdf"
            ? await layoutToPdf(layout, job.copies ?? 1)
            : encodePng(rasterizeLayout(layout), layout.dpi);
        await this.ensureDir();
        sequence += 1;
        const serial = job.label.serial.replace(/[^\w.-]+/g, "_").slice(0, 64);
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        const file = path.join(
          this.dir,
          `${PREFIX}${stamp}-${serial}-${process.pid}-${sequence}.${this.format}`,
        );
        await writeAtomically(file, bytes, signal);
        await this.prune().catch((error: unknown) =>
          this.logger.warn("could not apply label retention", {
            error: error instanceof Error ? error.message : String(error),
          }),
        );
        this.logger.info("label written", { file, bytes: bytes.length });
        return { jobId: path.basename(file), acceptedAt: new Date(), bytes: bytes.length, file };
      },
      PKG,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async ensureDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await access(this.dir, constants.W_OK);
      if (!(await stat(this.dir)).isDirectory()) throw new Error("not a directory");
    } catch (cause) {
      throw printerError(
        ErrorCodes.PRINTER_OFFLINE,
        `Labels cannot be written to ${this.dir} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})`,
        {
          cause,
          details: { dir: this.dir },
        },
      );
    }
  }

  /** Applies the retention policy to this printer's own label files. */
  private async prune(): Promise<void> {
    const { maxFiles, maxAgeMs } = this.retention;
    if (maxFiles === undefined && maxAgeMs === undefined) return;
    const names = (await readdir(this.dir)).filter(
      (n) => n.startsWith(PREFIX) && n.endsWith(`.${this.format}`),
    );
    const files = await Promise.all(
      names.map(async (n) => ({
        n,
        t: (await stat(path.join(this.dir, n)).catch(() => undefined))?.mtimeMs ?? 0,
      })),
    );
    files.sort((a, b) => b.t - a.t || b.n.localeCompare(a.n));
    const now = Date.now();
    const doomed = files.filter(
      (f, i) => (maxFiles !== undefined && i >= maxFiles) || (maxAgeMs !== undefined && now - f.t > maxAgeMs),
    );
    for (const f of doomed) await unlink(path.join(this.dir, f.n)).catch(() => undefined);
    if (doomed.length) this.logger.debug("old labels removed", { count: doomed.length });
  }
}

/** Temporary file (0600, exclusive), fsync, rename, fsync of the directory; removed on failure. */
async function writeAtomically(file: string, bytes: Uint8Array, signal: AbortSignal): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    throwIfAborted(signal, PKG);
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    if (isFactoryError(error)) throw error;
    throw printerError(
      ErrorCodes.PRINTER_OFFLINE,
      `Writing ${file} failed (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      { cause: error },
    );
  }
  const dir = await open(path.dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Creates a PDF or PNG file printer. */
export function createFilePrinter(options: FilePrinterOptions): FilePrinter {
  return new FilePrinter(options);
}
