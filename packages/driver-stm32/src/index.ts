import { defineBoardDriver } from "@factory/core";
import { Stm32Driver } from "./driver/driver";
import type { Stm32DriverOptions } from "./driver/options";

export { ST_DFU_PRODUCT_ID, ST_DFU_VENDOR_ID } from "./dfu/constants";
export { type DfuMemory, type DfuSegment, parseDfuMemoryLayout } from "./dfu/memory-layout";
export { listDfuDevices, parseDfuPort } from "./dfu/usb-host";
export type { UsbDeviceLike, UsbHostLike } from "./dfu/usb-types";
export { Stm32Driver, stm32Capabilities } from "./driver/driver";
export type { Stm32DriverOptions } from "./driver/options";
export { PKG, Stm32ErrorCodes } from "./errors";
export {
  formatUid,
  partForPid,
  partLayout,
  partsForLayout,
  STM32_PARTS,
  type Stm32Part,
} from "./identity/families";
export type { FlashLayout, FlashSector } from "./identity/flash-layout";
export { findDuplicateIdentities, IdentityRegistry } from "./identity/registry";
export { loadStm32Image, type Stm32ImageOptions } from "./image";
export type { ResetWiring } from "./uart/uart-access";

/** Creates a driver (what the factory's `create` does). */
export function createStm32Driver(options: Stm32DriverOptions = {}): Stm32Driver {
  return new Stm32Driver(options);
}

/**
 * The driver factory loaded by package name from config (`platform: stm32`).
 *
 * @example
 * const driver = createStm32Driver({ transport: "dfu" });
 * const [port] = await driver.list();
 * const session = await driver.open(port!);
 * console.log(await session.identify());
 */
export default defineBoardDriver<Stm32DriverOptions>({
  name: "stm32",
  families: ["stm32"],
  create: (options, { logger }) => new Stm32Driver({ logger, ...options }),
});
