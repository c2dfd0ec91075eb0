import {
  type BoardCapabilities,
  type BoardDriver,
  type BoardSession,
  describePort,
  ErrorCodes,
  isFactoryError,
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
import { listSerialPorts, openSerialLink } from "@factory/serial";
import { DfuAccess } from "../dfu/dfu-access";
import { DfuTarget } from "../dfu/dfu-target";
import { defaultUsbHost, dfuPortInfo, listDfuDevices, matchDfuDevices, parseDfuPort } from "../dfu/usb-host";
import type { UsbDeviceLike, UsbHostLike } from "../dfu/usb-types";
import { PKG, stm32Error } from "../errors";
import { IdentityRegistry } from "../identity/registry";
import { UartAccess, type UartFraming } from "../uart/uart-access";
import type { Stm32Access } from "./access";
import { pickSettings, type Stm32DriverOptions } from "./options";
import { Stm32Session } from "./session";

const BASE_CAPABILITIES = {
  compressedWrite: false,
  skipUnchanged: false,
  verify: "readback",
  console: false,
  uniqueId: "uid96",
  perDeviceData: true,
  imageFormats: ["bin", "hex"],
} as const;

/** Capabilities for a transport (and whether the fixture wires NRST/BOOT0). */
export function stm32Capabilities(transport: "dfu" | "uart", wired: boolean): BoardCapabilities {
  if (transport === "dfu") {
    return {
      ...BASE_CAPABILITIES,
      resetModes: ["bootloader", "app"],
      enumerate: true,
      maxConcurrentSessions: 16,
    };
  }
  return {
    ...BASE_CAPABILITIES,
    console: true,
    resetModes: wired ? ["bootloader", "app", "hard"] : ["app"],
    enumerate: true,
  };
}

/**
 * The STM32 board driver: ST's system bootloader over USB DFU (DfuSe) or over a UART (AN3155).
 * One driver instance serves many ports; a port holds one session at a time, and two ports
 * reporting the same unique ID are refused with `DUPLICATE_IDENTITY`.
 */
export class Stm32Driver implements BoardDriver {
  readonly name = "stm32";
  readonly families = ["stm32"] as const;
  readonly capabilities: BoardCapabilities;
  readonly registry: IdentityRegistry;
  private readonly busyPorts = new Set<string>();
  private readonly busyDevices = new WeakSet<UsbDeviceLike>();
  private usbHost: UsbHostLike | undefined;
  private readonly logger: Logger;

  constructor(readonly options: Stm32DriverOptions = {}) {
    this.capabilities = stm32Capabilities(options.transport ?? "dfu", Boolean(options.wiring?.reset));
    this.registry = options.registry ?? new IdentityRegistry();
    this.logger = options.logger ?? noopLogger;
    this.usbHost = options.usb;
  }

  private transportFor(port: PortRef, settings: Partial<Stm32DriverOptions>): "dfu" | "uart" {
    return settings.transport ?? (/^usb(:|$)/i.test(port.path) ? "dfu" : (this.options.transport ?? "uart"));
  }

  private async usb(): Promise<UsbHostLike> {
    this.usbHost ??= await defaultUsbHost();
    return this.usbHost;
  }

  async list(options: SignalOptions = {}): Promise<PortInfo[]> {
    throwIfAborted(options.signal, PKG);
    if ((this.options.transport ?? "dfu") === "dfu") {
      return (await listDfuDevices(await this.usb())).map(dfuPortInfo);
    }
    const ports = await listSerialPorts({
      ...(this.options.binding ? { binding: this.options.binding } : {}),
    });
    return ports.map((p) => ({ ...p, familyHint: "stm32" }));
  }

  async probe(port: PortRef, options: SignalOptions = {}): Promise<ProbeResult> {
    if (this.busyPorts.has(port.path)) return { present: true, family: "stm32" };
    try {
      const session = await this.open(port, { ...options });
      await session.close();
      return { present: true, family: "stm32" };
    } catch (error) {
      if (isFactoryError(error, [ErrorCodes.PORT_NOT_FOUND, ErrorCodes.SYNC_FAILED, ErrorCodes.NO_DEVICE])) {
        return { present: false };
      }
      throw error;
    }
  }

  async open(port: PortRef, options: OpenOptions = {}): Promise<BoardSession> {
    const settings = { ...this.options, ...pickSettings(options.settings) };
    const logger = (options.logger ?? this.logger).child({ port: port.path });
    const where = describePort(port);
    throwIfAborted(options.signal, PKG);
    if (this.busyPorts.has(port.path)) {
      throw stm32Error(ErrorCodes.PORT_BUSY, `${where} already has an open session`);
    }
    this.busyPorts.add(port.path);
    let release = (): void => {
      this.busyPorts.delete(port.path);
    };
    try {
      const transport = this.transportFor(port, settings);
      let access: Stm32Access;
      if (transport === "dfu") {
        const device = await this.findDfuDevice(port, where);
        if (this.busyDevices.has(device)) {
          throw stm32Error(
            ErrorCodes.PORT_BUSY,
            `The DFU device behind ${where} is in use by another session`,
          );
        }
        this.busyDevices.add(device);
        const previous = release;
        release = () => {
          this.busyDevices.delete(device);
          previous();
        };
        const target = await DfuTarget.open(device, {
          where,
          logger,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(settings.alt === undefined ? {} : { alt: settings.alt }),
          ...(settings.transferSize === undefined ? {} : { transferSize: settings.transferSize }),
          ...(settings.dfuTimeouts ? { timeouts: settings.dfuTimeouts } : {}),
        });
        access = new DfuAccess(target, where, {
          logger,
          ...(settings.productId === undefined ? {} : { productId: settings.productId }),
        });
      } else {
        const framing: UartFraming = {
          baudRate: settings.baudRate ?? 115200,
          parity: settings.parity ?? "even",
        };
        const openLink = (f: UartFraming, signal = options.signal) =>
          openSerialLink(port.path, {
            ...f,
            dataBits: 8,
            stopBits: 1,
            pkg: PKG,
            logger,
            ...(settings.binding ? { binding: settings.binding } : {}),
            ...(signal ? { signal } : {}),
          });
        const link = await openLink(framing);
        try {
          access = await UartAccess.open(link, where, {
            logger,
            ...(options.signal ? { signal: options.signal } : {}),
            ...(settings.wiring ? { wiring: settings.wiring } : {}),
            ...(settings.uartTimeouts ? { timeouts: settings.uartTimeouts } : {}),
            ...(settings.pipelineWrites === undefined ? {} : { pipelineWrites: settings.pipelineWrites }),
            framing,
            appFraming: { baudRate: settings.appBaudRate ?? 115200, parity: settings.appParity ?? "none" },
            reopen: openLink,
          });
        } catch (error) {
          await link.close();
          throw error;
        }
      }
      const capabilities =
        transport === (this.options.transport ?? "dfu")
          ? this.capabilities
          : stm32Capabilities(transport, Boolean(settings.wiring?.reset));
      return new Stm32Session(port, access, {
        capabilities,
        registry: this.registry,
        logger,
        onClose: release,
      });
    } catch (error) {
      release();
      throw toFactoryError(error, PKG);
    }
  }

  /** Finds the DFU device a port names; `PORT_NOT_FOUND` when none is there. */
  private async findDfuDevice(port: PortRef, where: string): Promise<UsbDeviceLike> {
    const selector = parseDfuPort(port);
    const devices = await listDfuDevices(await this.usb());
    const matches = matchDfuDevices(devices, selector, where);
    if (selector.by === "uid") {
      for (const device of matches) {
        if (this.busyDevices.has(device)) continue;
        const target = await DfuTarget.open(device, { where, logger: this.logger });
        const access = new DfuAccess(target, where, {
          logger: this.logger,
          ...(this.options.productId === undefined ? {} : { productId: this.options.productId }),
        });
        try {
          if ((await access.identify()).uniqueId === selector.uid) return device;
        } catch {
          // not readable: not the one asked for
        } finally {
          await access.close();
        }
      }
      throw stm32Error(
        ErrorCodes.PORT_NOT_FOUND,
        `No DFU device with unique ID ${selector.uid} is attached (${where})`,
      );
    }
    const device = matches[0];
    if (!device) throw stm32Error(ErrorCodes.PORT_NOT_FOUND, `No STM32 in DFU mode at ${where}`);
    return device;
  }
}
