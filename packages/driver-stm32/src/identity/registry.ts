import { ErrorCodes } from "@factory/core";
import { stm32Error } from "../errors";

/**
 * Which port holds which unique ID right now. Two ports reporting the same ID (colliding DFU
 * serial numbers, a cloned UID, a mis-wired fixture) are reported as `DUPLICATE_IDENTITY` and
 * neither is flashed silently. Share one registry between drivers of a host.
 */
export class IdentityRegistry {
  private readonly byId = new Map<string, string>();
  private readonly byPort = new Map<string, string>();

  /** Records that `port` holds `uniqueId`; throws when another port holds it. */
  claim(uniqueId: string, port: string): void {
    const holder = this.byId.get(uniqueId);
    if (holder !== undefined && holder !== port) {
      throw stm32Error(
        ErrorCodes.DUPLICATE_IDENTITY,
        `The device on ${port} reports unique ID ${uniqueId}, which the device on ${holder} also reports; neither is flashed until the fixture is checked`,
        { details: { uniqueId, ports: [holder, port] }, retryable: false },
      );
    }
    const previous = this.byPort.get(port);
    if (previous !== undefined && previous !== uniqueId) this.byId.delete(previous);
    this.byId.set(uniqueId, port);
    this.byPort.set(port, uniqueId);
  }

  /** Forgets what `port` held (its session closed). */
  release(port: string): void {
    const id = this.byPort.get(port);
    if (id !== undefined && this.byId.get(id) === port) this.byId.delete(id);
    this.byPort.delete(port);
  }

  /** The port holding `uniqueId`, if any. */
  holder(uniqueId: string): string | undefined {
    return this.byId.get(uniqueId);
  }
}

/** Groups identities by unique ID and returns the IDs seen on more than one port. */
export function findDuplicateIdentities(
  seen: readonly { port: string; uniqueId: string }[],
): { uniqueId: string; ports: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const { port, uniqueId } of seen) groups.set(uniqueId, [...(groups.get(uniqueId) ?? []), port]);
  return [...groups]
    .filter(([, ports]) => ports.length > 1)
    .map(([uniqueId, ports]) => ({ uniqueId, ports }));
}
