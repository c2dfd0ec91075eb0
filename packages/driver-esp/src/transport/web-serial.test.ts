import { createHash } from "node:crypto";
import { ESPLoader, Transport } from "esptool-js";
import { describe, expect, it } from "vitest";
import { createEspSimulator, EspSimBinding, makeFirmwareImage } from "../simulator";
import { createWebSerialPort } from "./web-serial";

const silent = { clean() {}, writeLine() {}, write() {} };

describe("Web Serial adapter (esptool-js in Node)", () => {
  it("behaves like a Web Serial port: streams after open, null after close, signals reach the lines", async () => {
    const sim = await createEspSimulator({ chip: "esp32" });
    const binding = new EspSimBinding().add("ws", sim);
    const port = createWebSerialPort(binding, { path: "ws", vendorId: 0x303a, productId: 0x1001 });
    expect(port.readable).toBeNull();
    expect(port.writable).toBeNull();
    expect(port.getInfo()).toEqual({ usbVendorId: 0x303a, usbProductId: 0x1001 });
    await port.open({ baudRate: 115200 });
    await expect(port.open({ baudRate: 115200 })).rejects.toThrow(/already open/);
    // EN low, then IO0 low while EN is released: download mode.
    await port.setSignals({ dataTerminalReady: false, requestToSend: true });
    await port.setSignals({ dataTerminalReady: true, requestToSend: false });
    await port.setSignals({ dataTerminalReady: false });
    const reader = port.readable!.getReader();
    const { value } = await reader.read();
    expect(Buffer.from(value!).toString("latin1")).toContain("waiting for download");
    reader.releaseLock();
    const writer = port.writable!.getWriter();
    await writer.write(new Uint8Array([0xc0, 0xc0]));
    writer.releaseLock();
    await port.close();
    expect(port.readable).toBeNull();
    // The port is free again.
    await port.open({ baudRate: 115200 });
    await port.close();
  });

  it.each([
    ["esp32", "ESP32"],
    ["esp32s2", "ESP32-S2"],
    ["esp32s3", "ESP32-S3"],
    ["esp32c3", "ESP32-C3"],
    ["esp32c6", "ESP32-C6"],
  ] as const)(
    "lets esptool-js detect the %s, upload its stub, change baud and flash a verified image",
    async (chipName, name) => {
      const sim = await createEspSimulator({ chip: chipName, mac: "24:0a:c4:aa:bb:cc" });
      const binding = new EspSimBinding().add("esptool", sim);
      const device = createWebSerialPort(binding, { path: "esptool" });
      const transport = new Transport(device as unknown as SerialPort, false);
      const loader = new ESPLoader({ transport, baudrate: 921600, terminal: silent, debugLogging: false });
      const chip = await loader.main("default_reset");
      expect(chip.startsWith(name)).toBe(true);
      expect(loader.chip.CHIP_NAME).toBe(name);
      expect(await loader.chip.readMac(loader)).toBe("24:0a:c4:aa:bb:cc");
      expect(sim.mode).toBe("stub");
      expect(sim.uartBaud).toBe(921600);
      const image = makeFirmwareImage({ size: 100_000, seed: 9, chip: chipName });
      await loader.writeFlash({
        fileArray: [{ data: image, address: 0x10000 }],
        flashMode: "keep",
        flashFreq: "keep",
        flashSize: "keep",
        eraseAll: false,
        compress: true,
        calculateMD5Hash: (data: Uint8Array) => createHash("md5").update(data).digest("hex"),
      });
      expect(Buffer.from(sim.readFlashImage(0x10000, image.length)).equals(Buffer.from(image))).toBe(true);
      await transport.disconnect();
    },
  );
});
