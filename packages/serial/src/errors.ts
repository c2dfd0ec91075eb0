import { createError, ErrorCodes, type FactoryError } from "@factory/core";

/** The default package prefix of messages raised by this package. Drivers pass their own. */
export const PKG = "serial";

/**
 * Maps an error from opening a port (native binding, simulator binding, SerialPort stream) to a
 * coded error: `PORT_NOT_FOUND` (no such device), `PORT_BUSY` (locked by another program or
 * session, or no permission), else `PORT_NOT_FOUND` with the original message.
 */
export function classifyOpenError(error: unknown, path: string, pkg = PKG): FactoryError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const details = { port: path };
  if (code === "ENOENT" || code === "ENXIO" || /no such file|not found|cannot find|ENOENT/i.test(message)) {
    return createError(
      pkg,
      ErrorCodes.PORT_NOT_FOUND,
      `Serial port ${path} does not exist (is the board plugged in?)`,
      {
        cause: error,
        details,
      },
    );
  }
  if (code === "EACCES" || /permission denied|EACCES/i.test(message)) {
    return createError(
      pkg,
      ErrorCodes.PORT_BUSY,
      `No permission to open ${path}; add the station's user to the dialout group (see the README for udev rules)`,
      { cause: error, details, retryable: false },
    );
  }
  if (
    code === "EBUSY" ||
    code === "EAGAIN" ||
    /busy|lock|temporarily unavailable|access denied/i.test(message)
  ) {
    return createError(
      pkg,
      ErrorCodes.PORT_BUSY,
      `Serial port ${path} is in use by another program or session`,
      {
        cause: error,
        details,
      },
    );
  }
  return createError(pkg, ErrorCodes.PORT_NOT_FOUND, `Cannot open serial port ${path}: ${message}`, {
    cause: error,
    details,
  });
}

/** The error for a port whose device vanished (USB unplugged, I/O error). */
export function disconnectedError(path: string, pkg = PKG, cause?: unknown): FactoryError {
  return createError(pkg, ErrorCodes.PORT_DISCONNECTED, `The device on ${path} disconnected`, {
    cause,
    details: { port: path },
  });
}

/** True for the errors a pseudo-terminal gives for modem-line ioctls (it has no DTR/RTS). */
export function isNoModemLinesError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code === "ENOTTY" || code === "EINVAL" || /inappropriate ioctl|ENOTTY/i.test(message);
}
