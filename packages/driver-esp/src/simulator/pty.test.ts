import { createHash } from "node:crypto";
import { requirePeer } from "@factory/core/testing";
import { ESPLoader, Transport } from "esptool-js";
import { describe, expect, it } from "vitest";
import { createEspDriver } from "../driver/driver";
import { loadNativeBinding } from "../transport/serial-link";
import { createWebSerialPort } from "../transport/web-serial";
import { createEspSimulator } from "./device";
import { makeFirmwareImage } from "./firmware";
import { startEspPtyServer } from "./pty";

const hasSocat = requirePeer({
  name: "socat (pseudo-terminal pairs)",
  commands: ["socat"],
  install: "apt-get install socat",
});

describe.runIf(hasSocat)("ESP simulator on a pseudo-terminal", () => {
  it("is flashed by the driver through the native serial binding (reset none: a pty has no modem lines)", async () => {
    const sim = await createEspSimulator({ chip: "esp32", resetCircuit: "none" });
    const server = await startEspPtyServer(sim);
    try {
      const driver = createEspDriver({ reset: "none", baudRate: 460800 });
      const session = await driver.open({ path: server.path });
      expect((await session.identify()).family).toBe("esp32");
      const app = makeFirmwareImage({ size: 64_000, seed: 21 });
      const plan = { regions: [{ name: "app", offset: 0x10000, data: app }] };
      await session.flash(plan);
      expect((await session.verify(plan)).ok).toBe(true);
      expect(Buffer.from(sim.readFlashImage(0x10000, app.length)).equals(Buffer.from(app))).toBe(true);
      await session.close();
    } finally {
      await server.close();
    }
  });

  it("is driven by esptool-js over the pty (no-reset mode)", async () => {
    const sim = await createEspSimulator({ chip: "esp32", resetCircuit: "none" });
    const server = await startEspPtyServer(sim);
    try {
      const device = createWebSerialPort(
        await loadNativeBinding(),
        { path: server.path },
        { ignoreSignalErrors: true },
      );
      const transport = new Transport(device as unknown as SerialPort, false);
      const terminal = { clean() {}, writeLine() {}, write() {} };
      const loader = new ESPLoader({ transport, baudrate: 115200, terminal });
      expect(await loader.main("no_reset")).toMatch(/ESP32/);
      const image = makeFirmwareImage({ size: 32_000, seed: 3 });
      await loader.writeFlash({
        fileArray: [{ data: image, address: 0x20000 }],
        flashMode: "keep",
        flashFreq: "keep",
        flashSize: "keep",
        eraseAll: false,
        compress: true,
        calculateMD5Hash: (d: Uint8Array) => createHash("md5").update(d).digest("hex"),
      });
      expect(Buffer.from(sim.readFlashImage(0x20000, image.length)).equals(Buffer.from(image))).toBe(true);
      await transport.disconnect();
    } finally {
      await server.close();
    }
  });
});
