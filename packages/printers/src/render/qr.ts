import { ErrorCodes } from "@factory/core";
import QRCode from "qrcode";
import { printerError } from "../errors";

/** A QR code symbol: `size × size` modules, `dark(x, y)` true for a black module. */
export interface QrMatrix {
  size: number;
  dark(x: number, y: number): boolean;
}

/**
 * Encodes `content` as a model 2 QR code with error correction Q, in byte mode: the same symbol
 * (or a smaller one) a Zebra printer builds from `^BQN,2,m` with `^FDQA,<content>`, so the size
 * measured here is an upper bound for the printed one.
 */
export function encodeQr(content: string): QrMatrix {
  if (content === "") throw printerError(ErrorCodes.INVALID_ARGUMENT, "The QR content is empty");
  let symbol: ReturnType<typeof QRCode.create>;
  try {
    symbol = QRCode.create([{ data: Buffer.from(content, "utf8"), mode: "byte" }], {
      errorCorrectionLevel: "Q",
    });
  } catch (cause) {
    throw printerError(
      ErrorCodes.INVALID_ARGUMENT,
      `The QR content (${content.length} characters) is too long for a QR code`,
      { cause },
    );
  }
  const { size } = symbol.modules;
  return { size, dark: (x, y) => symbol.modules.get(y, x) === 1 };
}
