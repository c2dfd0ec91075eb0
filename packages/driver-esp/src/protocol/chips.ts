/**
 * Per-chip facts the driver and the simulator share: detection magic, status length, register
 * addresses (eFuse MAC, SPI peripheral), bootloader offset, image chip id. One table, chosen by
 * the value of the magic register.
 */

export type EspFamily = "esp32" | "esp8266" | "esp32s2" | "esp32s3" | "esp32c3" | "esp32c6";

/**
 * How the ROM answers GET_SECURITY_INFO (0x14): `none` (ESP8266, ESP32: invalid message),
 * `short` (ESP32-S2: 12 bytes, no chip id), `full` (20 bytes ending in chip id and API version).
 */
export type SecurityInfoForm = "none" | "short" | "full";

/** The ROM's USB-OTG CDC download port (ESP32-S2, ESP32-S3): how the loader tells it is in use. */
export interface UsbOtgInfo {
  /** ROM variable (in .bss) holding the number of the port the ROM talks on. */
  bufNoReg: number;
  /** Its value when that port is USB-OTG. */
  bufNoUsbOtg: number;
  /** Product id of the ROM's USB-OTG device (vendor 303A); equals the chip's image id. */
  productId: number;
}

export interface SpiRegs {
  base: number;
  usr: number;
  usr1: number;
  usr2: number;
  w0: number;
  /** Absent on the ESP8266, which packs bit lengths into USR1. */
  mosiDlen?: number;
  misoDlen?: number;
}

export interface ChipInfo {
  family: EspFamily;
  /** Chip name as esptool prints it and as esptool-js `getStubJsonByChipName` expects. */
  name: string;
  magic: readonly number[];
  /** Status bytes in ROM responses (the stub always sends 2). */
  romStatusLen: 2 | 4;
  /** The ROM implements CHANGE_BAUDRATE (so the stub can be uploaded at full speed). */
  romChangeBaud: boolean;
  /** The ROM implements SPI_FLASH_MD5 (answers 32 ASCII hex characters). */
  romMd5: boolean;
  /** The ROM needs SPI_ATTACH before flash access. */
  romSpiAttach: boolean;
  /** The ROM implements FLASH_DEFL_* (compressed writes); the ESP8266 ROM needs the stub for them. */
  romCompressedWrite: boolean;
  /**
   * The ROM's FLASH_BEGIN / FLASH_DEFL_BEGIN take a fifth word, `encrypted` (0/1), and it can
   * write through the flash encryption engine.
   */
  romEncryptedWrite: boolean;
  /** How the ROM answers GET_SECURITY_INFO. */
  securityInfo: SecurityInfoForm;
  /** The chip has the USB-Serial-JTAG peripheral (303A:1001) and its reset sequence. */
  usbSerialJtag: boolean;
  /** The ROM can download over USB-OTG CDC (then the RAM block for the stub upload is 0x800). */
  usbOtg?: UsbOtgInfo;
  /** Where the second-stage bootloader lives in flash. */
  bootloaderOffset: number;
  /** Chip id in the extended image header (byte 12–13); undefined where images have none. */
  imageChipId?: number;
  /** The two eFuse words the MAC is read from (low word, high word). */
  macRegs: readonly [number, number];
  /** ESP8266 only: OTP register MAC3 that may carry the OUI. */
  mac3Reg?: number;
  uartClkDivReg: number;
  /** Crystal MHz × esptool's XTAL_CLK_DIVIDER: what baud × clkdiv / 1e6 comes to. */
  clkDivProduct: number;
  spi: SpiRegs;
}

export const MAGIC_REG = 0x40001000;

/** SPI1 register offsets of the ESP32-S2 and later chips (the base differs per chip). */
function spiRegs(base: number): SpiRegs {
  return { base, usr: 0x18, usr1: 0x1c, usr2: 0x20, w0: 0x58, mosiDlen: 0x24, misoDlen: 0x28 };
}

const SPI_S3 = spiRegs(0x60002000);

export const CHIPS: Readonly<Record<EspFamily, ChipInfo>> = {
  esp32: {
    family: "esp32",
    name: "ESP32",
    magic: [0x00f01d83],
    romStatusLen: 4,
    romChangeBaud: true,
    romMd5: true,
    romSpiAttach: true,
    romCompressedWrite: true,
    romEncryptedWrite: false,
    securityInfo: "none",
    usbSerialJtag: false,
    bootloaderOffset: 0x1000,
    imageChipId: 0,
    macRegs: [0x3ff5a004, 0x3ff5a008],
    uartClkDivReg: 0x3ff40014,
    clkDivProduct: 40,
    spi: { base: 0x3ff42000, usr: 0x1c, usr1: 0x20, usr2: 0x24, w0: 0x80, mosiDlen: 0x28, misoDlen: 0x2c },
  },
  esp8266: {
    family: "esp8266",
    name: "ESP8266",
    magic: [0xfff0c101],
    romStatusLen: 2,
    romChangeBaud: false,
    romMd5: false,
    romSpiAttach: false,
    romCompressedWrite: false,
    romEncryptedWrite: false,
    securityInfo: "none",
    usbSerialJtag: false,
    bootloaderOffset: 0x0,
    macRegs: [0x3ff00050, 0x3ff00054],
    mac3Reg: 0x3ff0005c,
    uartClkDivReg: 0x60000014,
    clkDivProduct: 52,
    spi: { base: 0x60000200, usr: 0x1c, usr1: 0x20, usr2: 0x24, w0: 0x40 },
  },
  esp32s2: {
    family: "esp32s2",
    name: "ESP32-S2",
    magic: [0x000007c6],
    romStatusLen: 4,
    romChangeBaud: true,
    romMd5: true,
    romSpiAttach: true,
    romCompressedWrite: true,
    romEncryptedWrite: true,
    securityInfo: "short",
    usbSerialJtag: false,
    usbOtg: { bufNoReg: 0x3ffffd14, bufNoUsbOtg: 2, productId: 0x0002 },
    bootloaderOffset: 0x1000,
    imageChipId: 2,
    macRegs: [0x3f41a044, 0x3f41a048],
    uartClkDivReg: 0x3f400014,
    clkDivProduct: 40,
    spi: spiRegs(0x3f402000),
  },
  esp32s3: {
    family: "esp32s3",
    name: "ESP32-S3",
    magic: [0x00000009],
    romStatusLen: 4,
    romChangeBaud: true,
    romMd5: true,
    romSpiAttach: true,
    romCompressedWrite: true,
    romEncryptedWrite: true,
    securityInfo: "full",
    usbSerialJtag: true,
    usbOtg: { bufNoReg: 0x3fcef14c, bufNoUsbOtg: 3, productId: 0x0009 },
    bootloaderOffset: 0x0,
    imageChipId: 9,
    macRegs: [0x60007044, 0x60007048],
    uartClkDivReg: 0x60000014,
    clkDivProduct: 40,
    spi: SPI_S3,
  },
  esp32c3: {
    family: "esp32c3",
    name: "ESP32-C3",
    magic: [0x6921506f, 0x1b31506f, 0x4881606f, 0x4361606f],
    romStatusLen: 4,
    romChangeBaud: true,
    romMd5: true,
    romSpiAttach: true,
    romCompressedWrite: true,
    romEncryptedWrite: true,
    securityInfo: "full",
    usbSerialJtag: true,
    bootloaderOffset: 0x0,
    imageChipId: 5,
    macRegs: [0x60008844, 0x60008848],
    uartClkDivReg: 0x3ff40014,
    clkDivProduct: 40,
    spi: SPI_S3,
  },
  esp32c6: {
    family: "esp32c6",
    name: "ESP32-C6",
    magic: [0x2ce0806f],
    romStatusLen: 4,
    romChangeBaud: true,
    romMd5: true,
    romSpiAttach: true,
    romCompressedWrite: true,
    romEncryptedWrite: true,
    securityInfo: "full",
    usbSerialJtag: true,
    bootloaderOffset: 0x0,
    imageChipId: 13,
    macRegs: [0x600b0844, 0x600b0848],
    uartClkDivReg: 0x60000014,
    clkDivProduct: 40,
    spi: spiRegs(0x60003000),
  },
};

/** The chip whose magic register value is `magic`, if any. */
export function chipFromMagic(magic: number): ChipInfo | undefined {
  return Object.values(CHIPS).find((c) => c.magic.includes(magic >>> 0));
}

/**
 * The chip whose GET_SECURITY_INFO chip id is `id`, if any. Only chips whose ROM reports a chip
 * id (`securityInfo: "full"`) match: the ESP32's image id 0 is never a reported id.
 */
export function chipFromSecurityId(id: number): ChipInfo | undefined {
  return Object.values(CHIPS).find((c) => c.securityInfo === "full" && c.imageChipId === id >>> 0);
}

/** ESP32 eFuse words used for package and revision. */
export const ESP32_EFUSE = { word3: 0x3ff5a00c, word5: 0x3ff5a014, apbCtlDate: 0x3ff6607c } as const;

/** Flash size from the JEDEC capacity byte (`(id >> 16) & 0xff`), as esptool maps it. */
export function flashSizeFromJedec(id: number): number | undefined {
  const cap = (id >>> 16) & 0xff;
  if (cap >= 0x12 && cap <= 0x1a) return 1 << (cap - 0x12 + 18);
  if (cap >= 0x32 && cap <= 0x3a) return 1 << (cap - 0x32 + 18);
  return undefined;
}

/** Formats six bytes as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(bytes: readonly number[]): string {
  return bytes.map((b) => (b & 0xff).toString(16).padStart(2, "0")).join(":");
}
