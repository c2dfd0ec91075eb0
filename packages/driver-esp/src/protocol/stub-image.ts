import { getStubJsonByChipName } from "esptool-js";

/** A flasher stub as the host uploads it: two RAM segments and the entry point. */
export interface StubImage {
  text: Uint8Array;
  textStart: number;
  data: Uint8Array;
  dataStart: number;
  entry: number;
}

const cache = new Map<string, Promise<StubImage>>();

/**
 * The flasher stub image for `chipName` (`ESP32`, `ESP8266`, `ESP32-S2`, `ESP32-S3`,
 * `ESP32-C3`, `ESP32-C6`), taken from the
 * stub JSON files bundled with esptool-js. Loaded once per process.
 */
export function loadStubImage(chipName: string): Promise<StubImage> {
  let found = cache.get(chipName);
  if (!found) {
    found = getStubJsonByChipName(chipName).then((json) => {
      if (!json) throw new Error(`no flasher stub is bundled for ${chipName}`);
      const stub = json as unknown as {
        text: string;
        data: string;
        text_start: number;
        data_start: number;
        entry: number;
      };
      return {
        text: Uint8Array.from(Buffer.from(stub.text, "base64")),
        textStart: stub.text_start,
        data: Uint8Array.from(Buffer.from(stub.data, "base64")),
        dataStart: stub.data_start,
        entry: stub.entry,
      };
    });
    cache.set(chipName, found);
  }
  return found;
}
