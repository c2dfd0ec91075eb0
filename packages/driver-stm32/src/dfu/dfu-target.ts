import { ErrorCodes, type Logger, noopLogger } from "@factory/core";
import { stm32Error } from "../errors";
import type { FlashLayout } from "../identity/flash-layout";
import { DescriptorType } from "./constants";
import { parseConfigurationDescriptor, parseStringDescriptor } from "./descriptors";
import { DfuClient } from "./dfu-client";
import { Dfuse, type DfuseTimeouts } from "./dfuse";
import { type DfuMemory, dfuMemoryToLayout, parseDfuMemoryLayout } from "./memory-layout";
import type { UsbDeviceLike } from "./usb-types";

export interface DfuTargetOptions {
  where: string;
  /** Alternate setting holding internal flash (default: the one mapped at 0x08000000, else 0). */
  alt?: number;
  /** Overrides wTransferSize when a device's descriptor is wrong. */
  transferSize?: number;
  transferTimeoutMs?: number;
  timeouts?: Partial<DfuseTimeouts>;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * An opened DFU-mode device: interface claimed, DFU functional descriptor and every alternate's
 * memory description read, the internal flash alternate selected and the device in dfuIDLE.
 */
export class DfuTarget {
  private constructor(
    readonly device: UsbDeviceLike,
    readonly interfaceNumber: number,
    readonly dfuse: Dfuse,
    readonly memories: DfuMemory[],
    readonly alt: number,
    readonly layout: FlashLayout,
    readonly transferSize: number,
  ) {}

  static async open(device: UsbDeviceLike, options: DfuTargetOptions): Promise<DfuTarget> {
    const { where, signal } = options;
    const logger = options.logger ?? noopLogger;
    let claimed: number | undefined;
    try {
      await device.open();
      if (!device.configuration)
        await device.selectConfiguration(device.configurations[0]?.configurationValue ?? 1);
      const iface = device.configuration?.interfaces.find((i) =>
        i.alternates.some((a) => a.interfaceClass === 0xfe && a.interfaceSubclass === 0x01),
      );
      if (!iface) {
        throw stm32Error(ErrorCodes.PROTOCOL_ERROR, `The USB device on ${where} has no DFU interface`);
      }
      await device.claimInterface(iface.interfaceNumber);
      claimed = iface.interfaceNumber;
      const client = new DfuClient(device, iface.interfaceNumber, {
        where,
        ...(options.transferTimeoutMs === undefined ? {} : { transferTimeoutMs: options.transferTimeoutMs }),
      });
      const header = await client.getDescriptor(DescriptorType.CONFIGURATION, 0, 9, signal);
      const total = (header[2] ?? 0) | ((header[3] ?? 0) << 8);
      const config = parseConfigurationDescriptor(
        await client.getDescriptor(DescriptorType.CONFIGURATION, 0, total, signal),
      );
      const transferSize = options.transferSize ?? config.dfu?.transferSize ?? 2048;
      if (!Number.isInteger(transferSize) || transferSize < 4 || transferSize > 4096) {
        throw stm32Error(
          ErrorCodes.PROTOCOL_ERROR,
          `The DFU transfer size ${transferSize} on ${where} is not usable`,
        );
      }
      const memories: DfuMemory[] = [];
      for (const alternate of iface.alternates) {
        let name = alternate.interfaceName ?? undefined;
        if (!name) {
          const d = config.interfaces.find(
            (i) =>
              i.interfaceNumber === iface.interfaceNumber &&
              i.alternateSetting === alternate.alternateSetting,
          );
          if (d && d.iInterface > 0) {
            name = parseStringDescriptor(
              await client.getDescriptor(DescriptorType.STRING, d.iInterface, 255, signal),
            );
          }
        }
        if (!name)
          throw stm32Error(
            ErrorCodes.PROTOCOL_ERROR,
            `Alternate setting ${alternate.alternateSetting} on ${where} has no memory description`,
          );
        memories[alternate.alternateSetting] = parseDfuMemoryLayout(name);
      }
      const alt =
        options.alt ??
        Math.max(
          0,
          memories.findIndex((m) => m?.segments[0]?.start === 0x0800_0000),
        );
      const memory = memories[alt];
      if (!memory)
        throw stm32Error(
          ErrorCodes.INVALID_ARGUMENT,
          `The DFU device on ${where} has no alternate setting ${alt}`,
        );
      await device.selectAlternateInterface(iface.interfaceNumber, alt);
      const dfuse = new Dfuse(client, transferSize, where, {
        logger,
        ...(options.timeouts ? { timeouts: options.timeouts } : {}),
      });
      await dfuse.toIdle(signal);
      logger.debug("DFU device ready", { where, transferSize, alt, memory: memory.name });
      return new DfuTarget(
        device,
        iface.interfaceNumber,
        dfuse,
        memories,
        alt,
        dfuMemoryToLayout(memory),
        transferSize,
      );
    } catch (error) {
      await release(device, claimed);
      throw error;
    }
  }

  /** The memory description of the selected alternate. */
  get memory(): DfuMemory {
    return this.memories[this.alt]!;
  }

  async close(): Promise<void> {
    await release(this.device, this.interfaceNumber);
  }
}

async function release(device: UsbDeviceLike, claimed: number | undefined): Promise<void> {
  if (claimed !== undefined) await device.releaseInterface(claimed).catch(() => undefined);
  await device.close().catch(() => undefined);
}
