/**
 * @factory/driver-pico: Raspberry Pi RP2040 / RP2350 boards through picotool, UF2 files, the
 * BOOTSEL drive and the 1200-baud touch. The default export is the driver factory config loads
 * by package name.
 */
import { defineBoardDriver } from "@factory/core";
import { createPicoDriver } from "./driver/driver";
import type { PicoDriverOptions } from "./driver/options";

export { createPicoDriver, PICO_CAPABILITIES, PICO_DRIVE_CAPABILITIES, PicoDriver } from "./driver/driver";
export { ensureBootsel, locationOf } from "./driver/locate";
export type { PicoDriverOptions } from "./driver/options";
export { type PreparedRegion, prepareRegions } from "./driver/regions";
export { PicoSession } from "./driver/session";
export { PICOTOOL_INSTALL_HINT, PicoErrorCodes, picoError } from "./errors";
export {
  APP_PRODUCT_IDS,
  FAMILIES,
  familyIdName,
  familyOfBootselProduct,
  familyOfChipType,
  PICO_FAMILIES,
  type PicoFamily,
  type PicoFamilyInfo,
  RASPBERRY_PI_VENDOR_ID,
  UF2_FAMILY_IDS,
} from "./families";
export { noDeviceMessage, PICOTOOL_RC, picotoolFailure, rcFromExitCode } from "./picotool/exit-codes";
export {
  type InfoGroup,
  type PicotoolDevice,
  type PicotoolDeviceInfo,
  parseInfo,
  parseSize,
} from "./picotool/info";
export {
  type CommandOptions,
  type DeviceSelector,
  type LoadOptions,
  type LoadResult,
  Picotool,
  timeoutFor,
} from "./picotool/picotool";
export { type PicotoolProgress, ProgressParser } from "./picotool/progress";
export { createPicotoolExec, type PicotoolExec, type RunOptions, type RunResult } from "./picotool/runner";
export {
  decodeBlock,
  encodeBlock,
  looksLikeUf2,
  UF2_BLOCK_SIZE,
  UF2_FLAG_FAMILY_ID_PRESENT,
  UF2_FLAG_NOT_MAIN_FLASH,
  UF2_PAYLOAD_SIZE,
  type Uf2Block,
} from "./uf2/block";
export { readUf2, type Uf2Image, type Uf2Range, type Uf2ReadOptions } from "./uf2/reader";
export { type Uf2WriteOptions, writeUf2 } from "./uf2/writer";
export { type BootselDrive, findBootselDrives, type InfoUf2, parseInfoUf2 } from "./usb/bootsel-drive";
export { copyUf2ToDrive, type DriveCopyOptions } from "./usb/drive-copy";
export { listUsbDevices, readUsbDevice, type UsbDevice } from "./usb/sysfs";
export { MAGIC_BAUD_RATE, touch1200 } from "./usb/touch";

/** The driver factory (`defineBoardDriver`) config loads by package name. */
export const driverFactory = defineBoardDriver<PicoDriverOptions>({
  name: "pico",
  families: ["rp2040", "rp2350"],
  create: (options, { logger }) => createPicoDriver({ logger, ...(options ?? {}) }),
});

export default driverFactory;
