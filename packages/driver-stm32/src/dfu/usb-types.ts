/**
 * The part of the WebUSB `USBDevice` API the driver uses. The `usb` package's devices (usb ≥ 3)
 * and the simulator's fake device both satisfy it, so the driver never touches anything else.
 */
export interface UsbSetup {
  requestType: "standard" | "class" | "vendor";
  recipient: "device" | "interface" | "endpoint" | "other";
  request: number;
  value: number;
  index: number;
}

export interface UsbInResult {
  data?: DataView | undefined;
  status: "ok" | "stall" | "babble";
}

export interface UsbOutResult {
  bytesWritten: number;
  status: "ok" | "stall";
}

export interface UsbAlternateLike {
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  interfaceName?: string | null | undefined;
}

export interface UsbInterfaceLike {
  interfaceNumber: number;
  alternates: readonly UsbAlternateLike[];
}

export interface UsbConfigurationLike {
  configurationValue: number;
  interfaces: readonly UsbInterfaceLike[];
}

export interface UsbDeviceLike {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | null | undefined;
  readonly productName?: string | null | undefined;
  readonly manufacturerName?: string | null | undefined;
  readonly deviceVersionMajor?: number;
  readonly deviceVersionMinor?: number;
  /** node-usb: bus number and the port chain, which give the topology location `1-2.3`. */
  readonly bus?: string | number;
  readonly ports?: readonly number[];
  readonly opened: boolean;
  readonly configuration?: UsbConfigurationLike | null | undefined;
  readonly configurations: readonly UsbConfigurationLike[];
  open(): Promise<void>;
  close(): Promise<void>;
  selectConfiguration(value: number): Promise<void>;
  claimInterface(interfaceNumber: number): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void>;
  /** The third argument is node-usb's transfer timeout (ms); browsers ignore it. */
  controlTransferIn(setup: UsbSetup, length: number, timeout?: number): Promise<UsbInResult>;
  controlTransferOut(setup: UsbSetup, data?: Uint8Array, timeout?: number): Promise<UsbOutResult>;
  reset?(): Promise<void>;
}

/** Where devices come from: `usb`'s `webusb`/`new WebUSB({ allowAllDevices: true })`, or a fake. */
export interface UsbHostLike {
  getDevices(): Promise<readonly UsbDeviceLike[]>;
}

/** The topology location of a device (`1-2.3`), when the host reports bus and ports. */
export function usbLocation(device: UsbDeviceLike): string | undefined {
  if (device.bus === undefined || !device.ports || device.ports.length === 0) return undefined;
  const bus = String(device.bus);
  return `${/^\d+$/.test(bus) ? Number(bus) : bus}-${device.ports.join(".")}`;
}
