/**
 * Flash layout defaults per board platform, used when a board config gives no `offsets`.
 * The ESP values are those of ESP-IDF's default layout; the others are where each family's
 * bootloader expects the application image.
 */

export interface RegionOffsets {
  bootloader?: number;
  partitionTable?: number;
  app: number;
}

const ESP_BOOTLOADER_AT: Readonly<Record<string, number>> = {
  esp32: 0x1000,
  esp32s2: 0x1000,
  esp32s3: 0x0,
  esp32c2: 0x0,
  esp32c3: 0x0,
  esp32c6: 0x0,
  esp32h2: 0x0,
  esp32c5: 0x2000,
  esp32p4: 0x2000,
  esp8266: 0x0,
};

/** Application base address for the non-ESP families. */
const APP_BASE: Readonly<Record<string, number>> = {
  stm32: 0x0800_0000,
  rp2040: 0x1000_0000,
  rp2350: 0x1000_0000,
  pico: 0x1000_0000,
  avr: 0x0,
  arduino: 0x0,
};

/** Platforms this SDK knows defaults for (used for did-you-mean on `platform`). */
export const KNOWN_PLATFORMS: readonly string[] = [
  ...Object.keys(ESP_BOOTLOADER_AT),
  ...Object.keys(APP_BASE),
];

/**
 * Default offsets for a platform, or undefined when the platform is unknown. `hasBootloader`
 * matters for the ESP8266, whose single-image builds (no bootloader file) start at 0x0.
 */
export function defaultOffsets(platform: string, hasBootloader: boolean): RegionOffsets | undefined {
  const key = platform.toLowerCase().replace(/[-_]/g, "");
  const bootloader = ESP_BOOTLOADER_AT[key];
  if (bootloader !== undefined) {
    if (key === "esp8266" && !hasBootloader) return { app: 0x0 };
    return { bootloader, partitionTable: 0x8000, app: 0x10000 };
  }
  const app = APP_BASE[key];
  return app === undefined ? undefined : { app };
}
