import { createError, ErrorCodes } from "../errors";

/**
 * Catches two ports reporting the same device identity in one batch: duplicated eFuse MACs,
 * colliding STM32 DFU serials, cloned EEPROM serials. The second port fails with
 * `DUPLICATE_IDENTITY` and is never flashed; the same device on the same port again is fine.
 */
export interface IdentityGuard {
  /** Claims `uniqueId` for `port`; throws `DUPLICATE_IDENTITY` when another port holds it. */
  claim(uniqueId: string, port: string): void;
  /** Forgets every claim of `port` (the device was unplugged). */
  releasePort(port: string): void;
}

export function createIdentityGuard(): IdentityGuard {
  const owners = new Map<string, string>();
  return {
    claim(uniqueId, port) {
      const key = uniqueId.toLowerCase();
      const owner = owners.get(key);
      if (owner !== undefined && owner !== port) {
        throw createError(
          "core",
          ErrorCodes.DUPLICATE_IDENTITY,
          `Device ${uniqueId} on ${port} has the same identity as the device on ${owner}; neither is trusted, this one is not flashed`,
          { details: { uniqueId, port, otherPort: owner }, retryable: false },
        );
      }
      owners.set(key, port);
    },
    releasePort(port) {
      for (const [id, owner] of owners) if (owner === port) owners.delete(id);
    },
  };
}
