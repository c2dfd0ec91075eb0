export { PKG } from "./errors";
export {
  ipp,
  type PrinterOptions,
  pdfFiles,
  pngFiles,
  printers,
  printers as default,
  zpl,
} from "./factories";
export {
  createFilePrinter,
  FilePrinter,
  type FilePrinterOptions,
  type FileRetention,
} from "./file/file-printer";
export {
  attributeValues,
  decodeIpp,
  encodeIpp,
  type IppAttribute,
  type IppCollection,
  type IppGroup,
  type IppMessage,
  type IppValue,
  Operation as IppOperation,
  Tag as IppTag,
} from "./ipp/encoding";
export { createIppPrinter, type IppConfirm, IppPrinter, type IppPrinterOptions } from "./ipp/ipp-printer";
export { ippPrinterStatus } from "./ipp/printer-state";
export {
  type LabelLayout,
  type LayoutOptions,
  layoutLabel,
  type QrBlock,
  type TextLine,
} from "./render/layout";
export { layoutToPdf, type PdfOptions, renderPdf } from "./render/pdf";
export { encodePng } from "./render/png";
export { renderPng } from "./render/png-label";
export { type Bitmap, rasterizeLayout } from "./render/raster";
export { layoutToZpl, renderZpl, type ZplOptions, zplFieldData } from "./render/zpl";
export {
  formatHostStatus,
  type HostStatus,
  parseHostStatus,
  takeFrames,
  toPrinterStatus,
} from "./zpl/host-status";
export { createZplPrinter, ZplPrinter, type ZplPrinterOptions } from "./zpl/zpl-printer";
