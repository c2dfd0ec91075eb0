import { createError, ErrorCodes, type FactoryError } from "../errors";

/** The coded errors every {@link UnitStore} implementation raises, with its package name in the message. */
export interface UnitStoreErrors {
  /** `INVALID_ARGUMENT`: the caller's input breaks a rule of the contract. */
  invalid(message: string, details?: Record<string, unknown>): FactoryError;
  /** `NOT_FOUND`: a write that needs the unit named a MAC the store does not know. */
  notFound(mac: string): FactoryError;
  /** `INVALID_TRANSITION`: the unit's lifecycle does not allow going from `from` to `to`. */
  transition(mac: string, from: string, to: string): FactoryError;
  /** `CONFLICT`: an idempotency key was reused with a different report. */
  keyConflict(mac: string): FactoryError;
  /** `CONFLICT`: a device id was registered again with different data. */
  registrationConflict(deviceId: string): FactoryError;
}

/**
 * The unit-store error vocabulary for one package, so every store says the same thing in the
 * same words (`pkg` prefixes each message, as {@link createError} does).
 *
 * @example
 * const errors = unitStoreErrors("server");
 * throw errors.transition(mac, "labeled", "building");
 */
export function unitStoreErrors(pkg: string): UnitStoreErrors {
  return {
    invalid: (message, details) =>
      createError(pkg, ErrorCodes.INVALID_ARGUMENT, message, details ? { details } : undefined),
    notFound: (mac) =>
      createError(pkg, ErrorCodes.NOT_FOUND, `No unit with MAC ${mac}`, { details: { mac } }),
    transition: (mac, from, to) =>
      createError(pkg, ErrorCodes.INVALID_TRANSITION, `Unit ${mac} is ${from}; it cannot go to ${to}`, {
        details: { mac, from, to },
      }),
    keyConflict: (mac) =>
      createError(pkg, ErrorCodes.CONFLICT, "This idempotency key was used for a different report", {
        details: { mac },
      }),
    registrationConflict: (deviceId) =>
      createError(pkg, ErrorCodes.CONFLICT, `Device ${deviceId} is already registered with different data`, {
        details: { deviceId },
      }),
  };
}
