import { ErrorCodes, isFactoryError, type Logger, noopLogger, type SignalOptions } from "@factory/core";
import { type BindingInterface, openSerialLink } from "@factory/serial";
import { PKG } from "../errors";

/** The line-coding rate that makes pico-sdk's stdio USB reboot into BOOTSEL. */
export const MAGIC_BAUD_RATE = 1200;

/**
 * The 1200-baud touch: opens the application's CDC port at 1200 baud and closes it. pico-sdk
 * firmware (stdio USB, default build) answers by rebooting into BOOTSEL; the port vanishes on the
 * way, which is expected and not an error. Rejects `PORT_NOT_FOUND` / `PORT_BUSY` when the port
 * cannot be opened, `ABORTED`.
 */
export async function touch1200(
  ttyPath: string,
  options: SignalOptions & { binding?: BindingInterface; logger?: Logger } = {},
): Promise<void> {
  const logger = options.logger ?? noopLogger;
  const link = await openSerialLink(ttyPath, {
    baudRate: MAGIC_BAUD_RATE,
    pkg: PKG,
    logger,
    ...(options.binding ? { binding: options.binding } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    await link.setSignals({ dtr: false }).catch((error: unknown) => {
      // The board may already be gone: that is the touch working.
      if (!isFactoryError(error, ErrorCodes.PORT_DISCONNECTED)) throw error;
    });
  } finally {
    await link.close();
  }
  logger.debug("1200-baud touch sent", { port: ttyPath });
}
