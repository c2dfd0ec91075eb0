import { type DeviceIdentity, ErrorCodes, isFactoryError, type Logger, type ResetMode } from "@factory/core";
import type { Stm32Access } from "../driver/access";
import { Stm32ErrorCodes, stm32Error } from "../errors";
import {
  formatUid,
  partForPid,
  partsForLayout,
  type Stm32Part,
  uidWordAddresses,
} from "../identity/families";
import type { FlashLayout, FlashSector } from "../identity/flash-layout";
import { DfuStatus } from "./constants";
import type { DfuTarget } from "./dfu-target";
import { usbLocation } from "./usb-types";

export interface DfuAccessOptions {
  /** The product ID when the plant knows it (DFU has no Get ID); otherwise matched from the layout. */
  productId?: number;
  logger: Logger;
}

/**
 * Memory operations over DfuSe. Identity: the part is matched from the flash layout (or given),
 * the 96-bit UID is uploaded from system memory where the bootloader allows it; otherwise the
 * iSerial string stands in, marked `uidSource: "usb-serial"` (those can collide).
 */
export class DfuAccess implements Stm32Access {
  readonly transport = "dfu";
  readonly alignment = 1;
  private identity: DeviceIdentity | undefined;
  private left = false;

  constructor(
    readonly target: DfuTarget,
    readonly where: string,
    private readonly options: DfuAccessOptions,
  ) {}

  get layout(): FlashLayout {
    return this.target.layout;
  }

  /** Candidate parts: the configured product ID, or every part whose flash layout matches. */
  private candidates(): Stm32Part[] {
    if (this.options.productId !== undefined) {
      const part = partForPid(this.options.productId);
      return part ? [part] : [];
    }
    return partsForLayout(this.layout);
  }

  async identify(signal?: AbortSignal): Promise<DeviceIdentity> {
    if (this.identity) return this.identity;
    this.assertPresent();
    const { dfuse } = this.target;
    const candidates = this.candidates();
    const part = candidates.length === 1 ? candidates[0] : undefined;
    // Parts sharing a flash layout mostly share the UID address too; then the UID is still readable.
    const first = candidates[0];
    const uidPart =
      first &&
      candidates.every(
        (p) => p.uid.base === first.uid.base && p.uid.wordOffsets.join() === first.uid.wordOffsets.join(),
      )
        ? first
        : undefined;
    let uniqueId: string | undefined;
    let uidSource = "usb-serial";
    if (uidPart) {
      try {
        const words = [] as number[];
        for (const address of uidWordAddresses(uidPart)) {
          const bytes = await dfuse.upload(address, 4, undefined, signal);
          words.push(new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true));
        }
        uniqueId = formatUid(words as [number, number, number]);
        uidSource = "uid96";
      } catch (error) {
        if (
          isFactoryError(error, Stm32ErrorCodes.STM32_DFU_STATUS) &&
          error.details.status === DfuStatus.errVENDOR
        ) {
          throw stm32Error(
            ErrorCodes.READ_PROTECTED,
            `The part on ${this.where} is read-protected (RDP); its unique ID cannot be read. Removing protection erases it.`,
            { cause: error, retryable: false },
          );
        }
        if (!isFactoryError(error, Stm32ErrorCodes.STM32_DFU_STATUS)) throw error;
        this.options.logger.debug("UID not readable over DFU, using the USB serial", { where: this.where });
        await dfuse.toIdle(signal);
      }
    }
    const device = this.target.device;
    if (uniqueId === undefined) {
      const serial = (device.serialNumber ?? "").trim().toLowerCase();
      if (!/^[0-9a-z]+$/.test(serial)) {
        throw stm32Error(
          ErrorCodes.PROTOCOL_ERROR,
          `The DFU device on ${this.where} has neither a readable UID nor a usable serial number`,
        );
      }
      uniqueId = `usbsn-${serial}`;
    }
    const location = usbLocation(device);
    this.identity = {
      family: "stm32",
      chip:
        part?.name ??
        (candidates.length ? candidates.map((p) => p.name).join(" | ") : "STM32 (unknown part)"),
      uniqueId,
      flashSize: this.layout.size,
      extra: {
        transport: "dfu",
        uidSource,
        transferSize: this.target.transferSize,
        memory: this.target.memory.name,
        ...(part ? { productId: `0x${part.pid.toString(16)}`, series: part.series } : {}),
        ...(device.serialNumber ? { usbSerial: device.serialNumber } : {}),
        ...(location ? { usbLocation: location } : {}),
      },
    };
    return this.identity;
  }

  async eraseSectors(
    sectors: readonly FlashSector[],
    onSector: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.assertPresent();
    let done = 0;
    for (const sector of sectors) {
      await this.target.dfuse.erasePage(sector.start, signal);
      onSector(++done);
    }
  }

  async massErase(signal?: AbortSignal): Promise<void> {
    this.assertPresent();
    await this.target.dfuse.massErase(signal);
  }

  async write(
    address: number,
    data: Uint8Array,
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    this.assertPresent();
    await this.target.dfuse.download(address, data, onProgress, signal);
  }

  async read(
    address: number,
    length: number,
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    this.assertPresent();
    try {
      return await this.target.dfuse.upload(address, length, onProgress, signal);
    } catch (error) {
      if (
        isFactoryError(error, Stm32ErrorCodes.STM32_DFU_STATUS) &&
        error.details.status === DfuStatus.errVENDOR
      ) {
        throw stm32Error(
          ErrorCodes.READ_PROTECTED,
          `The part on ${this.where} is read-protected (RDP); flash cannot be read back`,
          {
            cause: error,
            retryable: false,
          },
        );
      }
      throw error;
    }
  }

  async reset(mode: ResetMode, signal?: AbortSignal): Promise<void> {
    this.assertPresent();
    if (mode === "app") {
      await this.target.dfuse.leave(this.layout.base, signal);
      this.left = true;
      return;
    }
    if (mode === "bootloader") {
      await this.target.dfuse.toIdle(signal);
      return;
    }
    throw stm32Error(
      ErrorCodes.NOT_SUPPORTED,
      `Reset into "${mode}" is not possible over DFU on ${this.where}`,
    );
  }

  private assertPresent(): void {
    if (this.left) {
      throw stm32Error(
        ErrorCodes.PORT_DISCONNECTED,
        `The part on ${this.where} left DFU mode; open the port again after it re-enters the bootloader`,
      );
    }
  }

  async close(): Promise<void> {
    await this.target.close();
  }
}
