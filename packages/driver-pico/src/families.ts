/** The chips this driver flashes. */
export type PicoFamily = "rp2040" | "rp2350";

/** UF2 family ids of the Raspberry Pi chips (uf2.h / uf2families.json). */
export const UF2_FAMILY_IDS = {
  CYW43_FIRMWARE: 0xe48bff55,
  RP2040: 0xe48bff56,
  ABSOLUTE: 0xe48bff57,
  DATA: 0xe48bff58,
  RP2350_ARM_S: 0xe48bff59,
  RP2350_RISCV: 0xe48bff5a,
  RP2350_ARM_NS: 0xe48bff5b,
} as const;

/** What the driver needs to know about one chip family. */
export interface PicoFamilyInfo {
  family: PicoFamily;
  /** Chip name as picotool prints it in `type`. */
  chip: string;
  /** Family id the driver writes into UF2 blocks. */
  uf2FamilyId: number;
  /** Family ids the bootrom of this chip accepts for flash. */
  acceptedFamilyIds: readonly number[];
  /** Start of the XIP flash window; FlashRegion offsets are relative to it. */
  flashBase: number;
  /** Largest flash the address window can hold. */
  maxFlashSize: number;
  /** Main SRAM range [start, end). */
  ram: readonly [number, number];
  /** USB product id in BOOTSEL (vendor 0x2E8A). */
  bootselProductId: number;
  /** Default FAT volume label of the BOOTSEL drive. */
  volumeLabel: string;
  /** `Model:` line of INFO_UF2.TXT. */
  model: string;
}

export const RASPBERRY_PI_VENDOR_ID = 0x2e8a;

/** Application-mode product ids picotool recognises (pico-sdk stdio USB, picoprobe, MicroPython). */
export const APP_PRODUCT_IDS: Readonly<Record<number, string>> = {
  9: "stdio-usb",
  10: "stdio-usb",
  4: "picoprobe",
  5: "micropython",
};

export const FAMILIES: Readonly<Record<PicoFamily, PicoFamilyInfo>> = {
  rp2040: {
    family: "rp2040",
    chip: "RP2040",
    uf2FamilyId: UF2_FAMILY_IDS.RP2040,
    acceptedFamilyIds: [UF2_FAMILY_IDS.RP2040],
    flashBase: 0x1000_0000,
    maxFlashSize: 16 * 1024 * 1024,
    ram: [0x2000_0000, 0x2004_2000],
    bootselProductId: 0x0003,
    volumeLabel: "RPI-RP2",
    model: "Raspberry Pi RP2",
  },
  rp2350: {
    family: "rp2350",
    chip: "RP2350",
    uf2FamilyId: UF2_FAMILY_IDS.RP2350_ARM_S,
    acceptedFamilyIds: [
      UF2_FAMILY_IDS.RP2350_ARM_S,
      UF2_FAMILY_IDS.RP2350_RISCV,
      UF2_FAMILY_IDS.RP2350_ARM_NS,
      UF2_FAMILY_IDS.ABSOLUTE,
    ],
    flashBase: 0x1000_0000,
    maxFlashSize: 32 * 1024 * 1024,
    ram: [0x2000_0000, 0x2008_2000],
    bootselProductId: 0x000f,
    volumeLabel: "RP2350",
    model: "Raspberry Pi RP2350",
  },
};

export const PICO_FAMILIES: readonly PicoFamily[] = ["rp2040", "rp2350"];

/** The family of a BOOTSEL product id, or undefined for any other device. */
export function familyOfBootselProduct(productId: number): PicoFamily | undefined {
  return PICO_FAMILIES.find((f) => FAMILIES[f].bootselProductId === productId);
}

/** The family of a picotool `type` value (`RP2040`, `RP2350`, `RP2350(64k)`…). */
export function familyOfChipType(type: string): PicoFamily | undefined {
  const t = type.trim().toUpperCase();
  if (t.startsWith("RP2040")) return "rp2040";
  if (t.startsWith("RP2350") || t.startsWith("RP2354")) return "rp2350";
  return undefined;
}

/** A readable name of a UF2 family id. */
export function familyIdName(id: number): string {
  const entry = Object.entries(UF2_FAMILY_IDS).find(([, v]) => v === id);
  return entry ? `${entry[0]} (0x${id.toString(16)})` : `0x${id.toString(16).padStart(8, "0")}`;
}
