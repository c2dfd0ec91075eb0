export {
  type DeviceCredentials,
  type DeviceCredentialsOptions,
  generateDeviceCredentials,
} from "./device-credentials";
export { LETTER_FORMS } from "./letter-forms";
export {
  DEFAULT_MIN_ENTROPY_BITS,
  describePasswordEntropy,
  generatePassword,
  type PasswordEntropy,
  type PasswordOptions,
  passwordEntropyBits,
  passwordWordList,
  passwordWords,
} from "./password";
export {
  constantTimeEqual,
  type DeviceIdOptions,
  type DeviceSecretOptions,
  generateDeviceId,
  generateDeviceSecret,
  generateProvisioningToken,
  generateSerial,
  isProvisioningToken,
  PROVISIONING_TOKEN_PREFIX,
} from "./tokens";
