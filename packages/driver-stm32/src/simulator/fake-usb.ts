import { sleep } from "@factory/core";
import {
  DescriptorType,
  DfuRequest,
  GET_DESCRIPTOR,
  ST_DFU_PRODUCT_ID,
  ST_DFU_VENDOR_ID,
} from "../dfu/constants";
import { encodeStringDescriptor } from "../dfu/descriptors";
import { type DfuSegment, formatDfuMemoryLayout } from "../dfu/memory-layout";
import type {
  UsbConfigurationLike,
  UsbDeviceLike,
  UsbHostLike,
  UsbInResult,
  UsbOutResult,
  UsbSetup,
} from "../dfu/usb-types";
import { SimulatedChip, type SimulatedChipOptions } from "./chip";
import { type DfuFaults, DfuseModel } from "./dfuse-device";

/** USB timing of the simulated bus: a fixed cost per control transfer plus a byte rate. */
export interface UsbTiming {
  perTransferMs: number;
  /** Data stage throughput, bytes per ms (full speed control transfers manage about 800). */
  bytesPerMs: number;
}

export interface FakeDfuDeviceOptions {
  chip?: SimulatedChip | SimulatedChipOptions;
  /** iSerial (default derived from the UID, 12 hex digits like ST's bootloader). */
  serialNumber?: string;
  /** Bus number and port chain: location `bus-p1.p2`. */
  bus?: number;
  ports?: number[];
  /** wTransferSize (default 2048). */
  transferSize?: number;
  /** Alternate-setting strings; default: internal flash from the chip's layout and F4-style extras. */
  alternates?: string[];
  startInError?: boolean;
  uploadOutsideAlt?: boolean;
  /** Simulated bus timing; default none (transfers complete at once). */
  usbTiming?: UsbTiming;
}

class UsbGoneError extends Error {
  override name = "NotFoundError";
}

/** Groups equal consecutive sectors into DfuSe segments. */
function flashSegments(chip: SimulatedChip): DfuSegment[] {
  const segments: DfuSegment[] = [];
  for (const s of chip.layout.sectors) {
    const last = segments.at(-1);
    if (last && last.sectorSize === s.size && last.start + last.count * last.sectorSize === s.start)
      last.count++;
    else
      segments.push({
        start: s.start,
        count: 1,
        sectorSize: s.size,
        readable: true,
        erasable: true,
        writable: true,
      });
  }
  return segments;
}

/**
 * A USB device in ST's DFU mode (0483:df11) implementing the WebUSB subset the driver uses:
 * standard GET_DESCRIPTOR (device, configuration with the DFU functional descriptor, strings)
 * and the DFU class requests on interface 0, backed by a {@link DfuseModel}.
 *
 * @example
 * const device = new FakeDfuDevice({ chip: { pid: 0x413, seed: 7 }, ports: [3] });
 * const host = new FakeUsbHost([device]);
 * const driver = createStm32Driver({ transport: "dfu", usb: host });
 */
export class FakeDfuDevice implements UsbDeviceLike {
  readonly vendorId = ST_DFU_VENDOR_ID;
  readonly productId = ST_DFU_PRODUCT_ID;
  readonly deviceVersionMajor = 2;
  readonly deviceVersionMinor = 0;
  readonly manufacturerName = "STMicroelectronics";
  readonly productName = "STM32  BOOTLOADER";
  readonly serialNumber: string;
  readonly bus: string;
  readonly ports: number[];
  readonly chip: SimulatedChip;
  readonly model: DfuseModel;
  readonly alternates: string[];
  /** False after unplug or after the part left DFU mode. */
  connected = true;
  opened = false;
  configuration: UsbConfigurationLike | null = null;
  readonly configurations: UsbConfigurationLike[];
  /** Set when the device left DFU mode; the reason. */
  detached: "manifest" | "unprotect" | "fault" | "unplug" | undefined;
  private claimed = new Set<number>();
  private readonly usbTiming: UsbTiming | undefined;

  constructor(options: FakeDfuDeviceOptions = {}) {
    this.chip = options.chip instanceof SimulatedChip ? options.chip : new SimulatedChip(options.chip);
    const uidHex = this.chip.uid.map((w) => w.toString(16).padStart(8, "0")).join("");
    this.serialNumber = options.serialNumber ?? uidHex.slice(-12).toUpperCase();
    this.bus = String(options.bus ?? 1);
    this.ports = options.ports ?? [1];
    this.usbTiming = options.usbTiming;
    this.alternates = options.alternates ?? [
      formatDfuMemoryLayout({ name: "Internal Flash  ", segments: flashSegments(this.chip) }),
      "@Option Bytes  /0x1FFFC000/01*016 g",
      "@OTP Memory /0x1FFF7800/01*512 g,01*016 g",
      "@Device Feature/0xFFFF0000/01*004 g",
    ];
    this.model = new DfuseModel(this.chip, {
      transferSize: options.transferSize ?? 2048,
      alternates: this.alternates,
      ...(options.startInError === undefined ? {} : { startInError: options.startInError }),
      ...(options.uploadOutsideAlt === undefined ? {} : { uploadOutsideAlt: options.uploadOutsideAlt }),
    });
    this.model.onDetach = (reason) => this.drop(reason);
    this.configurations = [
      {
        configurationValue: 1,
        interfaces: [
          {
            interfaceNumber: 0,
            alternates: this.alternates.map((name, alt) => ({
              alternateSetting: alt,
              interfaceClass: 0xfe,
              interfaceSubclass: 0x01,
              interfaceProtocol: 0x02,
              interfaceName: name,
            })),
          },
        ],
      },
    ];
  }

  /** Faults for the next operations (see {@link DfuFaults}). */
  get faults(): DfuFaults {
    return this.model.faults;
  }

  /** Pulls the cable: every pending and later transfer fails as on a vanished device. */
  unplug(): void {
    this.drop("unplug");
  }

  /** Plugs the part back in (in DFU mode again, start state as after power-up). */
  plugIn(): void {
    this.connected = true;
    this.detached = undefined;
    this.chip.runningFrom = undefined;
    this.model.reset();
  }

  private drop(reason: NonNullable<FakeDfuDevice["detached"]>): void {
    this.connected = false;
    this.opened = false;
    this.configuration = null;
    this.claimed.clear();
    this.detached = reason;
  }

  private gone(): UsbGoneError {
    return new UsbGoneError("The device was disconnected.");
  }

  private check(needsOpen = true): void {
    if (!this.connected) throw this.gone();
    if (needsOpen && !this.opened)
      throw Object.assign(new Error("The device must be opened first."), { name: "InvalidStateError" });
  }

  async open(): Promise<void> {
    this.check(false);
    this.opened = true;
  }

  async close(): Promise<void> {
    this.opened = false;
    this.claimed.clear();
  }

  async selectConfiguration(value: number): Promise<void> {
    this.check();
    const config = this.configurations.find((c) => c.configurationValue === value);
    if (!config) throw Object.assign(new Error("Unknown configuration"), { name: "NotFoundError" });
    this.configuration = config;
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.check();
    if (interfaceNumber !== 0) throw Object.assign(new Error("Unknown interface"), { name: "NotFoundError" });
    this.claimed.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.claimed.delete(interfaceNumber);
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.check();
    if (!this.claimed.has(interfaceNumber))
      throw Object.assign(new Error("Interface not claimed"), { name: "InvalidStateError" });
    if (alternateSetting >= this.alternates.length)
      throw Object.assign(new Error("Unknown alternate"), { name: "NotFoundError" });
    this.model.alt = alternateSetting;
  }

  async reset(): Promise<void> {
    this.check(false);
    this.model.reset();
  }

  private async busTime(bytes: number): Promise<void> {
    const t = this.usbTiming;
    if (t) await sleep(t.perTransferMs + bytes / t.bytesPerMs);
  }

  async controlTransferIn(setup: UsbSetup, length: number): Promise<UsbInResult> {
    this.check();
    let data: Uint8Array | undefined;
    if (setup.requestType === "standard" && setup.request === GET_DESCRIPTOR) {
      data = this.descriptor(setup.value >> 8, setup.value & 0xff)?.subarray(0, length);
    } else if (setup.requestType === "class" && setup.recipient === "interface") {
      if (!this.claimed.has(setup.index))
        throw Object.assign(new Error("Interface not claimed"), { name: "InvalidStateError" });
      if (setup.request === DfuRequest.GETSTATUS) {
        const wait = this.model.busyRemaining();
        if (wait > 0) {
          // Timers may fire up to a millisecond early; earlier than that the host ignored bwPollTimeout.
          if (wait > 1) this.model.pollViolations++;
          await sleep(wait);
          this.check();
        }
      }
      const reply = this.model.handleIn(setup.request, setup.value, length);
      data = reply.stall ? undefined : reply.data;
    }
    await this.busTime(data?.length ?? 0);
    this.check();
    if (!data) return { status: "stall" };
    return { status: "ok", data: new DataView(data.buffer, data.byteOffset, data.byteLength) };
  }

  async controlTransferOut(setup: UsbSetup, data?: Uint8Array): Promise<UsbOutResult> {
    this.check();
    const bytes = data ?? new Uint8Array(0);
    if (setup.requestType !== "class" || setup.recipient !== "interface")
      return { bytesWritten: 0, status: "stall" };
    if (!this.claimed.has(setup.index))
      throw Object.assign(new Error("Interface not claimed"), { name: "InvalidStateError" });
    await this.busTime(bytes.length);
    this.check();
    const reply = this.model.handleOut(setup.request, setup.value, bytes);
    if (reply.stall) return { bytesWritten: 0, status: "stall" };
    return { bytesWritten: bytes.length, status: "ok" };
  }

  private descriptor(type: number, index: number): Uint8Array | undefined {
    if (type === DescriptorType.DEVICE) {
      return Uint8Array.of(18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x83, 0x04, 0x11, 0xdf, 0x00, 0x22, 1, 2, 3, 1);
    }
    if (type === DescriptorType.CONFIGURATION && index === 0) {
      const xfer = this.model.options.transferSize;
      const body: number[] = [];
      for (let alt = 0; alt < this.alternates.length; alt++)
        body.push(9, 4, 0, alt, 0, 0xfe, 0x01, 0x02, 4 + alt);
      body.push(9, 0x21, 0x0b, 0xff, 0x00, xfer & 0xff, xfer >> 8, 0x1a, 0x01);
      const total = 9 + body.length;
      return Uint8Array.of(9, 2, total & 0xff, total >> 8, 1, 1, 0, 0xc0, 0x32, ...body);
    }
    if (type === DescriptorType.STRING) {
      if (index === 0) return Uint8Array.of(4, 3, 0x09, 0x04);
      const strings = [this.manufacturerName, this.productName, this.serialNumber, ...this.alternates];
      const text = strings[index - 1];
      return text === undefined ? undefined : encodeStringDescriptor(text);
    }
    return undefined;
  }
}

/** A USB host holding fake devices; `getDevices` lists those plugged in. */
export class FakeUsbHost implements UsbHostLike {
  /** When set, `getDevices` rejects with it (a host without /sys/bus/usb). */
  failure: Error | undefined;

  constructor(readonly devices: FakeDfuDevice[] = []) {}

  add(device: FakeDfuDevice): void {
    this.devices.push(device);
  }

  async getDevices(): Promise<FakeDfuDevice[]> {
    if (this.failure) throw this.failure;
    return this.devices.filter((d) => d.connected);
  }
}
