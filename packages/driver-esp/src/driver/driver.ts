import {
  type BoardCapabilities,
  type BoardDriver,
  type BoardSession,
  createError,
  ErrorCodes,
  type Logger,
  noopLogger,
  type OpenOptions,
  type PortInfo,
  type PortRef,
  type ProbeResult,
  type SignalOptions,
  throwIfAborted,
  toFactoryError,
} from "@factory/core";
import { PKG } from "../errors";
import type { ResetStrategy } from "../loader/reset";
import type { BindingInterface } from "../transport/binding-types";
import { loadNativeBinding } from "../transport/serial-link";
import type { EspDriverOptions } from "./options";
import { resolveOptions } from "./options";
import { EspSession } from "./session";

/** USB bridges ESP boards use (VID → family hint). */
const KNOWN_BRIDGES: Record<string, string> = {
  // USB-Serial-JTAG (ESP32-S3, -C3 and -C6 alike), then the ROMs' USB-OTG download ports.
  "303a:1001": "esp32s3",
  "303a:0002": "esp32s2",
  "303a:0009": "esp32s3",
  "10c4:ea60": "esp32",
  "1a86:7523": "esp32",
  "1a86:55d4": "esp32",
  "0403:6001": "esp32",
  "0403:6010": "esp32",
  "0403:6015": "esp32",
};

/** The config `platform` values this driver flashes. */
export const ESP_FAMILIES = ["esp32", "esp8266", "esp32s2", "esp32s3", "esp32c3", "esp32c6"] as const;

export const ESP_CAPABILITIES: BoardCapabilities = {
  compressedWrite: true,
  skipUnchanged: true,
  verify: "md5",
  console: true,
  uniqueId: "mac",
  perDeviceData: true,
  resetModes: ["bootloader", "app", "hard"],
  imageFormats: ["bin"],
  enumerate: true,
};

/** The ESP32 / ESP8266 board driver. */
export class EspDriver implements BoardDriver {
  readonly name = "esp";
  readonly families = ESP_FAMILIES;
  readonly capabilities = ESP_CAPABILITIES;
  private readonly logger: Logger;

  constructor(
    private readonly options: EspDriverOptions = {},
    logger: Logger = noopLogger,
  ) {
    this.logger = logger.child({ driver: "esp" });
    // Fail fast on bad driver-wide settings.
    resolveOptions(options, undefined, (m) => invalid(m));
  }

  private binding(): Promise<BindingInterface> {
    return this.options.binding ? Promise.resolve(this.options.binding) : loadNativeBinding();
  }

  async list(options: SignalOptions = {}): Promise<PortInfo[]> {
    throwIfAborted(options.signal, PKG);
    const binding = await this.binding();
    let ports: Awaited<ReturnType<BindingInterface["list"]>>;
    try {
      ports = await binding.list();
    } catch (error) {
      // No udev (containers) means no enumeration: report no candidates rather than failing.
      this.logger.warn("serial port enumeration failed", { error: String(error) });
      return [];
    }
    return ports.map((p) => {
      const vendorId = p.vendorId ? Number.parseInt(p.vendorId, 16) : undefined;
      const productId = p.productId ? Number.parseInt(p.productId, 16) : undefined;
      const key = `${(p.vendorId ?? "").toLowerCase()}:${(p.productId ?? "").toLowerCase()}`;
      const info: PortInfo = { path: p.path };
      if (vendorId !== undefined) info.vendorId = vendorId;
      if (productId !== undefined) info.productId = productId;
      if (p.serialNumber) info.serialNumber = p.serialNumber;
      if (p.locationId) info.location = p.locationId;
      if (p.manufacturer) info.manufacturer = p.manufacturer;
      const hint = KNOWN_BRIDGES[key];
      if (hint) info.familyHint = hint;
      return info;
    });
  }

  async probe(port: PortRef, options: SignalOptions = {}): Promise<ProbeResult> {
    throwIfAborted(options.signal, PKG);
    let session: EspSession | undefined;
    try {
      session = (await this.open(port, {
        signal: options.signal,
        settings: { connectAttempts: 2 },
      })) as EspSession;
      return { present: true, ...(session.chip ? { family: session.chip } : {}) };
    } catch (error) {
      const e = toFactoryError(error, PKG);
      if (e.code === ErrorCodes.ABORTED) throw e;
      return { present: false };
    } finally {
      await session?.close();
    }
  }

  async open(port: PortRef, options: OpenOptions = {}): Promise<BoardSession> {
    throwIfAborted(options.signal, PKG);
    if (!port || typeof port.path !== "string" || port.path.length === 0) {
      throw invalid("open() needs a port with a path");
    }
    const opts = resolveOptions(this.options, options.settings, (m) => invalid(m));
    const strategy: ResetStrategy =
      opts.reset === "auto"
        ? port.vendorId === 0x303a && port.productId === 0x1001
          ? "usb-jtag"
          : "classic"
        : opts.reset;
    const logger = (options.logger ?? this.logger).child({ port: port.path });
    const binding = await this.binding();
    return EspSession.open(binding, port, opts, strategy, logger, options.signal);
  }

  async dispose(): Promise<void> {}
}

function invalid(message: string): Error {
  return createError(PKG, ErrorCodes.INVALID_ARGUMENT, message, { retryable: false });
}

/**
 * Creates the ESP driver.
 *
 * @example
 * const driver = createEspDriver({ baudRate: 921600 });
 * const session = await driver.open({ path: "/dev/ttyUSB0" });
 */
export function createEspDriver(options: EspDriverOptions = {}, logger?: Logger): EspDriver {
  return new EspDriver(options, logger);
}
