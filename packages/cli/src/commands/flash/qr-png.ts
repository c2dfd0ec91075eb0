import { chmod, mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { createError, type PlanContext, type SignalOptions, throwIfAborted } from "@factory/core";
import QRCode from "qrcode";

/**
 * A pipeline `label` hook writing one QR code PNG per device, `dir/<deviceId>.png`, holding the
 * real payload (the pairing credential): the file is created mode 0600 and written under a
 * temporary name first, so a half-written PNG never has the final name.
 */
export function createQrPngLabel(dir: string) {
  return async (payload: string, context: PlanContext, options: SignalOptions): Promise<{ file: string }> => {
    throwIfAborted(options.signal);
    const safe = context.deviceId.replace(/[^\w.-]/g, "_");
    const file = path.join(dir, `${safe}.png`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      await mkdir(dir, { recursive: true });
      // Filter "none": a two-colour image compresses as well without pngjs trying all five filters
      // per row (a third of the CPU a device costs the line at 48 ports).
      await QRCode.toFile(tmp, payload, {
        type: "png",
        errorCorrectionLevel: "M",
        margin: 2,
        scale: 6,
        // pngjs takes `filterType`; the qrcode typings list only its deflate options.
        rendererOpts: { filterType: 0 } as { deflateLevel?: number },
      });
      await chmod(tmp, 0o600);
      await rename(tmp, file);
    } catch (cause) {
      throw createError("cli", "LABEL_FAILED", `could not write the QR code ${file}`, {
        cause,
        retryable: false,
      });
    }
    return { file };
  };
}
