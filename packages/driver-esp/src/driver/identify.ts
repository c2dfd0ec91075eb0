import { createError, type DeviceIdentity, ErrorCodes } from "@factory/core";
import { PKG } from "../errors";
import type { EspLoader } from "../loader/loader";
import { ESP32_EFUSE, formatMac } from "../protocol/chips";

const ESP32_PACKAGES: Record<number, string> = {
  0: "ESP32-D0WDQ6",
  1: "ESP32-D0WD",
  2: "ESP32-D2WD",
  4: "ESP32-U4WDH",
  5: "ESP32-PICO-D4",
  6: "ESP32-PICO-V3-02",
};

/** Reads chip description, revision, MAC (eFuse / OTP) and flash size. */
export async function readIdentity(
  loader: EspLoader,
  flashSize: number | undefined,
  flashId: number | undefined,
  signal?: AbortSignal,
): Promise<DeviceIdentity> {
  const chip = loader.requireChip();
  const [lo, hi] = chip.macRegs;
  const w0 = await loader.readReg(lo, signal);
  const w1 = await loader.readReg(hi, signal);
  let mac: number[];
  if (chip.family === "esp8266") {
    const mac3 = await loader.readReg(chip.mac3Reg ?? 0x3ff0005c, signal);
    let oui: number[];
    if (mac3 !== 0) oui = [(mac3 >>> 16) & 0xff, (mac3 >>> 8) & 0xff, mac3 & 0xff];
    else if (((w1 >>> 16) & 0xff) === 0) oui = [0x18, 0xfe, 0x34];
    else if (((w1 >>> 16) & 0xff) === 1) oui = [0xac, 0xd0, 0x74];
    else {
      throw createError(
        PKG,
        ErrorCodes.PROTOCOL_ERROR,
        `The ESP8266 on ${loader.link.path} has an unknown MAC OUI`,
        {
          details: { port: loader.link.path, mac1: w1 },
        },
      );
    }
    mac = [...oui, (w1 >>> 8) & 0xff, w1 & 0xff, (w0 >>> 24) & 0xff];
  } else {
    mac = [
      (w1 >>> 8) & 0xff,
      w1 & 0xff,
      (w0 >>> 24) & 0xff,
      (w0 >>> 16) & 0xff,
      (w0 >>> 8) & 0xff,
      w0 & 0xff,
    ];
  }
  let description = chip.name;
  let revision: string | undefined;
  if (chip.family === "esp32") {
    const word3 = await loader.readReg(ESP32_EFUSE.word3, signal);
    const word5 = await loader.readReg(ESP32_EFUSE.word5, signal);
    const apb = await loader.readReg(ESP32_EFUSE.apbCtlDate, signal);
    const rev1 = (word3 >>> 15) & 1;
    const rev2 = (word5 >>> 20) & 1;
    const rev3 = (apb >>> 31) & 1;
    const major = rev1 ? (rev2 ? (rev3 ? 3 : 2) : 1) : 0;
    revision = `v${major}.0`;
    const pkg = ((word3 >>> 9) & 7) + (((word3 >>> 2) & 1) << 3);
    description = (ESP32_PACKAGES[pkg] ?? "ESP32") + (major === 3 && (pkg === 0 || pkg === 1) ? "-V3" : "");
  } else if (chip.family === "esp8266") {
    description = "ESP8266EX";
  }
  const macText = formatMac(mac);
  const extra: Record<string, string | number | boolean> = {};
  if (flashId !== undefined) extra.flashId = `0x${flashId.toString(16).padStart(6, "0")}`;
  return {
    family: chip.family,
    chip: description,
    ...(revision ? { revision } : {}),
    mac: macText,
    uniqueId: macText.replaceAll(":", ""),
    ...(flashSize !== undefined ? { flashSize } : {}),
    extra,
  };
}
