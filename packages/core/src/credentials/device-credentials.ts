import { createError, ErrorCodes } from "../errors";
import { generatePassword, type PasswordOptions } from "./password";
import { generateDeviceId, generateDeviceSecret, generateProvisioningToken, generateSerial } from "./tokens";

/** Options of {@link generateDeviceCredentials}. */
export interface DeviceCredentialsOptions<P extends string = never> {
  /** Device ID prefix, usually the board type (`esp32`). */
  prefix: string;
  /** The device's hardware identifier; the device ID is derived from it when given. */
  uniqueId?: string | undefined;
  /** Names of phonetic passwords to generate (the appliance line's `admin`, `services`). */
  passwords?: readonly P[];
  passwordOptions?: PasswordOptions;
}

/** Everything secret and unique a device is given at registration. Never log this object. */
export interface DeviceCredentials<P extends string = never> {
  deviceId: string;
  serial: string;
  deviceSecret: string;
  provisioningToken: string;
  passwords: Record<P, string>;
}

/**
 * Generates a device's ID, serial, secret, one-time provisioning token and any named passwords in
 * one call.
 *
 * @example
 * const creds = generateDeviceCredentials({ prefix: "appliance", passwords: ["admin", "services"] });
 * creds.passwords.admin; // e.g. "4NTeNN4e-B4siL-mAT3rNiTy-c0nFeTT1"
 */
export function generateDeviceCredentials<P extends string = never>(
  options: DeviceCredentialsOptions<P>,
): DeviceCredentials<P> {
  const names = options.passwords ?? [];
  if (new Set(names).size !== names.length) {
    throw createError("core", ErrorCodes.INVALID_ARGUMENT, "Password names must be distinct");
  }
  const passwords = {} as Record<P, string>;
  for (const name of names) passwords[name] = generatePassword(options.passwordOptions);
  return {
    deviceId: generateDeviceId({ prefix: options.prefix, uniqueId: options.uniqueId }),
    serial: generateSerial(),
    deviceSecret: generateDeviceSecret(),
    provisioningToken: generateProvisioningToken(),
    passwords,
  };
}
