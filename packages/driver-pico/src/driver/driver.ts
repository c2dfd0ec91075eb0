import {
  type BoardCapabilities,
  type BoardDriver,
  type BoardSession,
  ErrorCodes,
  type Logger,
  noopLogger,
  type OpenOptions,
  type PortInfo,
  type PortRef,
  type ProbeResult,
  type SignalOptions,
  throwIfAborted,
} from "@factory/core";
import { PKG, picoError } from "../errors";
import { APP_PRODUCT_IDS, familyOfBootselProduct, PICO_FAMILIES, RASPBERRY_PI_VENDOR_ID } from "../families";
import { Picotool } from "../picotool/picotool";
import { createPicotoolExec } from "../picotool/runner";
import { listUsbDevices } from "../usb/sysfs";
import { ensureBootsel, locationOf, slotState } from "./locate";
import { type PicoDriverOptions, type ResolvedPicoOptions, resolveOptions } from "./options";
import { PicoSession } from "./session";

/** What the driver can do with picotool (the default transport). */
export const PICO_CAPABILITIES: BoardCapabilities = {
  compressedWrite: false,
  skipUnchanged: true,
  verify: "readback",
  console: true,
  uniqueId: "flash-uid",
  perDeviceData: true,
  resetModes: ["bootloader", "app"],
  imageFormats: ["bin", "uf2"],
  enumerate: true,
};

/** With the BOOTSEL drive transport: no read-back, and the bootrom reboots into the app itself. */
export const PICO_DRIVE_CAPABILITIES: BoardCapabilities = {
  ...PICO_CAPABILITIES,
  skipUnchanged: false,
  verify: "none",
  uniqueId: "flash-uid",
  resetModes: ["bootloader"],
};

const invalid = (message: string) => picoError(ErrorCodes.INVALID_ARGUMENT, message, { retryable: false });

/**
 * The RP2040 / RP2350 board driver. Ports are USB locations (`usb:1-2.3`): every RP2040 in BOOTSEL
 * reports the same USB serial, so the slot, not the serial, says which board is which; picotool is
 * then pointed at it with `--bus` / `--address`, read fresh from sysfs before every command.
 */
export class PicoDriver implements BoardDriver {
  readonly name = "pico";
  readonly families = PICO_FAMILIES;
  readonly capabilities: BoardCapabilities;
  private readonly logger: Logger;
  private readonly base: ResolvedPicoOptions;
  private readonly picotool: Picotool;
  private readonly busy = new Set<string>();
  /** `picotool version`, run once: fails fast with PICOTOOL_NOT_FOUND and the install hint. */
  private picotoolVersion: Promise<string> | undefined;

  constructor(private readonly options: PicoDriverOptions = {}) {
    this.logger = (options.logger ?? noopLogger).child({ driver: "pico" });
    this.base = resolveOptions(options, undefined, invalid);
    this.capabilities = this.base.transport === "drive" ? PICO_DRIVE_CAPABILITIES : PICO_CAPABILITIES;
    this.picotool = new Picotool(
      options.exec ?? createPicotoolExec(options.picotool ?? "picotool", this.logger),
    );
  }

  async list(options: SignalOptions = {}): Promise<PortInfo[]> {
    throwIfAborted(options.signal, PKG);
    const devices = await listUsbDevices(this.base.usbSysfs);
    return devices
      .filter((d) => d.vendorId === RASPBERRY_PI_VENDOR_ID)
      .filter((d) => familyOfBootselProduct(d.productId) || APP_PRODUCT_IDS[d.productId] === "stdio-usb")
      .map((d) => {
        const info: PortInfo = {
          path: `usb:${d.location}`,
          location: d.location,
          vendorId: d.vendorId,
          productId: d.productId,
        };
        if (d.serialNumber) info.serialNumber = d.serialNumber;
        if (d.manufacturer) info.manufacturer = d.manufacturer;
        const hint = familyOfBootselProduct(d.productId) ?? (d.productId === 0x000a ? "rp2040" : undefined);
        if (hint) info.familyHint = hint;
        return info;
      });
  }

  async probe(port: PortRef, options: SignalOptions = {}): Promise<ProbeResult> {
    throwIfAborted(options.signal, PKG);
    const location = locationOf(port);
    if (!location) return { present: false };
    const state = await slotState(this.base, location);
    if (state.kind === "bootsel") return { present: true, family: state.family };
    if (state.kind === "app" && state.ttys.length > 0) {
      return { present: true, ...(state.device.productId === 0x000a ? { family: "rp2040" } : {}) };
    }
    return { present: false };
  }

  async open(port: PortRef, options: OpenOptions = {}): Promise<BoardSession> {
    throwIfAborted(options.signal, PKG);
    const location = port ? locationOf(port) : undefined;
    if (!location) {
      throw invalid(
        `A Pico port is a USB location such as usb:1-2.3 (or a port with a location), not "${port?.path}"`,
      );
    }
    const resolved = resolveOptions(this.options, options.settings, invalid);
    if (this.busy.has(location)) {
      throw picoError(ErrorCodes.PORT_BUSY, `USB ${location} already has an open session`, {
        details: { location },
      });
    }
    this.busy.add(location);
    const logger = (options.logger ?? this.logger).child({ port: port.path });
    try {
      const picotool = resolved.transport === "picotool" ? this.picotool : undefined;
      if (picotool) {
        this.picotoolVersion ??= picotool.version(options.signal ? { signal: options.signal } : {});
        const version = await this.picotoolVersion.catch((error: unknown) => {
          this.picotoolVersion = undefined;
          throw error;
        });
        logger.debug("picotool found", { version });
        if (Number.parseInt(version, 10) < 2) {
          logger.warn("picotool is older than 2.0: RP2350 boards and some output formats are not supported", {
            version,
          });
        }
      }
      const ready = await ensureBootsel(
        resolved,
        location,
        logger,
        options.signal ? { signal: options.signal } : {},
      );
      return new PicoSession(
        port,
        location,
        ready.family,
        resolved,
        picotool,
        logger,
        () => this.busy.delete(location),
        ready.appSerial,
      );
    } catch (error) {
      this.busy.delete(location);
      throw error;
    }
  }

  async dispose(): Promise<void> {}
}

/**
 * Creates the Pico driver.
 *
 * @example
 * const driver = createPicoDriver({ picotool: "/usr/local/bin/picotool" });
 * const [port] = await driver.list();
 * const session = await driver.open(port);
 * console.log((await session.identify()).uniqueId); // the flash unique id
 */
export function createPicoDriver(options: PicoDriverOptions = {}): PicoDriver {
  return new PicoDriver(options);
}
