import {
  type BoardCapabilities,
  type BoardDriver,
  type BoardSession,
  defineBoardDriver,
  isFactoryError,
  type Logger,
  noopLogger,
  type OpenOptions,
  type PortInfo,
  type PortRef,
  type ProbeResult,
  type SignalOptions,
} from "@factory/core";
import { listSerialPorts, openSerialLink } from "@factory/serial";
import { PKG } from "../errors";
import { type AvrDriverOptions, resolveOptions } from "./options";
import { AvrSession } from "./session";

/** USB vendor ids of genuine Arduino boards (Arduino LLC, Arduino SRL): a hint, not an identification. */
const ARDUINO_VIDS = new Set([0x2341, 0x2a03]);

export const AVR_CAPABILITIES: BoardCapabilities = {
  compressedWrite: false,
  skipUnchanged: false,
  verify: "readback",
  console: true,
  uniqueId: "serial-number",
  perDeviceData: true,
  resetModes: ["bootloader", "app", "hard"],
  imageFormats: ["bin", "hex"],
  enumerate: true,
};

/**
 * Arduino AVR boards over STK500v1 (optiboot, and the old ATmegaBOOT of Nano clones at 57600).
 *
 * @example
 * const driver = createAvrDriver({ board: "uno" });
 * const session = await driver.open({ path: "/dev/serial/by-path/…-usb-0:1.2:1.0" });
 * await session.flash({ regions: [{ name: "sketch", offset: 0, data: await readFile("blink.hex") }] });
 */
export function createAvrDriver(options: AvrDriverOptions = {}): BoardDriver {
  const logger: Logger = options.logger ?? noopLogger;
  resolveOptions(options); // config errors surface when the driver is created
  return {
    name: "avr",
    families: ["avr"],
    capabilities: AVR_CAPABILITIES,

    async list(): Promise<PortInfo[]> {
      const ports = await listSerialPorts({ binding: options.binding, logger });
      return ports.map((p) =>
        p.vendorId !== undefined && ARDUINO_VIDS.has(p.vendorId) ? { ...p, familyHint: "avr" } : p,
      );
    },

    async probe(port: PortRef, probeOptions: SignalOptions = {}): Promise<ProbeResult> {
      let session: BoardSession | undefined;
      try {
        session = await open(port, { ...probeOptions, settings: { syncAttempts: 3 } });
        return { present: true, family: "avr" };
      } catch (error) {
        if (
          isFactoryError(error, [
            "PORT_NOT_FOUND",
            "SYNC_FAILED",
            "TIMEOUT",
            "PROTOCOL_ERROR",
            "PORT_DISCONNECTED",
          ])
        ) {
          return { present: false };
        }
        throw error;
      } finally {
        await session?.close();
      }
    },

    open: (port, openOptions) => open(port, openOptions),
  };

  async function open(port: PortRef, openOptions: OpenOptions = {}): Promise<BoardSession> {
    const resolved = resolveOptions(options, openOptions.settings);
    const log = (openOptions.logger ?? logger).child({ port: port.path, driver: "avr" });
    const link = await openSerialLink(port.path, {
      baudRate: resolved.baudRate,
      binding: options.binding,
      signal: openOptions.signal,
      logger: log,
      pkg: PKG,
    });
    const session = new AvrSession(port, link, resolved, log);
    try {
      await session.connect({ signal: openOptions.signal });
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }
}

/** The package's driver factory, found by `@factory/core`'s plugin loader. */
export const driverFactory = defineBoardDriver<AvrDriverOptions>({
  name: "avr",
  families: ["avr"],
  create: (options, { logger }) => createAvrDriver({ ...options, logger: options.logger ?? logger }),
});
