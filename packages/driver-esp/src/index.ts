/**
 * @factory/driver-esp: ESP32 / ESP8266 (and ESP32-S2 / S3 / C3 / C6) over serial. The default export is
 * the driver factory that config loads by package name.
 */
import { defineBoardDriver } from "@factory/core";
import { createEspDriver, ESP_FAMILIES } from "./driver/driver";
import type { EspDriverOptions } from "./driver/options";

export { createEspDriver, ESP_CAPABILITIES, ESP_FAMILIES, EspDriver } from "./driver/driver";
export type { EspDriverOptions } from "./driver/options";
export { type PreparedRegion, prepareRegion, validateImages, validatePlan } from "./driver/plan";
export { EspErrorCodes } from "./errors";
export { EspClient } from "./loader/client";
export { EspLoader } from "./loader/loader";
export type { ResetStrategy, ResetTiming } from "./loader/reset";
export {
  CHIPS,
  type ChipInfo,
  chipFromMagic,
  chipFromSecurityId,
  type EspFamily,
  type SecurityInfoForm,
  type UsbOtgInfo,
} from "./protocol/chips";
export { loadNativeBinding, openEspLink, type SerialLink } from "./transport/serial-link";
export { createWebSerialPort, type WebSerialPortLike } from "./transport/web-serial";

/** The driver factory (`defineBoardDriver`) config loads by package name. */
export const driverFactory = defineBoardDriver<EspDriverOptions>({
  name: "esp",
  families: ESP_FAMILIES,
  create: (options, { logger }) => createEspDriver(options ?? {}, logger),
});

export default driverFactory;
