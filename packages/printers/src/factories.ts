import path from "node:path";
import { definePrinter, ErrorCodes, type Printer } from "@factory/core";
import { printerError } from "./errors";
import { createFilePrinter, type FilePrinterOptions } from "./file/file-printer";
import { createIppPrinter, type IppPrinterOptions } from "./ipp/ipp-printer";
import { createZplPrinter, type ZplPrinterOptions } from "./zpl/zpl-printer";

type WithoutLogger<T> = Omit<T, "logger">;

/** `{ driver: "@factory/printers", export: "zpl", options: { host: "10.0.5.20" } }` */
export const zpl = definePrinter<WithoutLogger<ZplPrinterOptions>>({
  name: "zpl",
  create: (options, { logger }) => createZplPrinter({ ...options, logger }),
});

/** `{ driver: "@factory/printers", export: "ipp", options: { url: "ipp://cups:631/printers/labels" } }` */
export const ipp = definePrinter<WithoutLogger<IppPrinterOptions>>({
  name: "ipp",
  create: (options, { logger }) => createIppPrinter({ ...options, logger }),
});

/** PDF files into `dir` (relative to the config file). */
export const pdfFiles = definePrinter<WithoutLogger<Omit<FilePrinterOptions, "format">>>({
  name: "pdf-files",
  create: (options, { logger, baseDir }) =>
    createFilePrinter({ ...options, dir: path.resolve(baseDir, options?.dir ?? ""), format: "pdf", logger }),
});

/** PNG files into `dir` (relative to the config file). */
export const pngFiles = definePrinter<WithoutLogger<Omit<FilePrinterOptions, "format">>>({
  name: "png-files",
  create: (options, { logger, baseDir }) =>
    createFilePrinter({ ...options, dir: path.resolve(baseDir, options?.dir ?? ""), format: "png", logger }),
});

/** Options of the default factory: one of the printers above, chosen by `type`. */
export type PrinterOptions =
  | ({ type: "zpl" } & WithoutLogger<ZplPrinterOptions>)
  | ({ type: "ipp" } & WithoutLogger<IppPrinterOptions>)
  | ({ type: "pdf" | "png" } & WithoutLogger<Omit<FilePrinterOptions, "format">>);

const BY_TYPE = { zpl, ipp, pdf: pdfFiles, png: pngFiles } as const;

/**
 * The package's default factory: `{ driver: "@factory/printers", options: { type: "zpl", host } }`.
 * `type` is `zpl`, `ipp`, `pdf` or `png`; the other options are those of that printer.
 */
export const printers = definePrinter<PrinterOptions>({
  name: "printers",
  create: (options, context): Printer | Promise<Printer> => {
    const type = (options as { type?: unknown } | undefined)?.type;
    const factory = BY_TYPE[type as keyof typeof BY_TYPE];
    if (!factory) {
      throw printerError(
        ErrorCodes.CONFIG_INVALID,
        `The printer type must be zpl, ipp, pdf or png, not ${JSON.stringify(type)}`,
      );
    }
    const { type: _type, ...rest } = options;
    return factory.create(rest as never, context);
  },
});
