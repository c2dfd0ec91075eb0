import type { Logger, PortRef } from "@factory/core";
import { loadNativeBinding, openSerialLink as openLink, type SerialLink } from "@factory/serial";
import { PKG } from "../errors";
import type { BindingInterface } from "./binding-types";

export type { SerialLink };
export { loadNativeBinding };

/**
 * Opens `port` at `baudRate` through `binding` as a `@factory/serial` {@link SerialLink} whose
 * errors carry this package's prefix. Rejects `PORT_NOT_FOUND` when the path does not exist,
 * `PORT_BUSY` when another process holds it (or no permission), `ABORTED` on signal.
 *
 * The link sets modem lines with `setSignals`, which resolves `false` on a port without them (a
 * pseudo-terminal); the reset code turns that into `NOT_SUPPORTED` (see `loader/reset.ts`).
 */
export function openEspLink(
  binding: BindingInterface,
  port: PortRef,
  baudRate: number,
  options: { signal?: AbortSignal | undefined; logger?: Logger } = {},
): Promise<SerialLink> {
  return openLink(port.path, {
    baudRate,
    binding,
    pkg: PKG,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
