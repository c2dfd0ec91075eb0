import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** Where Linux publishes USB devices. */
export const DEFAULT_USB_SYSFS = "/sys/bus/usb/devices";

/** One USB device as sysfs describes it. */
export interface UsbDevice {
  /** Topology location (`1-2.3`): bus 1, hub port 2, port 3. Stable per physical slot. */
  location: string;
  /** picotool's `--bus`. */
  bus: number;
  /** picotool's `--address`: changes on every re-enumeration. */
  address: number;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
}

const LOCATION = /^\d+-\d+(\.\d+)*$/;

async function attr(dir: string, name: string): Promise<string | undefined> {
  try {
    return (await readFile(path.join(dir, name), "utf8")).trim();
  } catch {
    return undefined;
  }
}

/** Reads the device at `location`, or undefined when nothing is plugged in there. */
export async function readUsbDevice(root: string, location: string): Promise<UsbDevice | undefined> {
  if (!LOCATION.test(location)) return undefined;
  const dir = path.join(root, location);
  const [busnum, devnum, vid, pid] = await Promise.all(
    ["busnum", "devnum", "idVendor", "idProduct"].map((n) => attr(dir, n)),
  );
  if (!busnum || !devnum || !vid || !pid) return undefined;
  const device: UsbDevice = {
    location,
    bus: Number.parseInt(busnum, 10),
    address: Number.parseInt(devnum, 10),
    vendorId: Number.parseInt(vid, 16),
    productId: Number.parseInt(pid, 16),
  };
  const [serial, manufacturer, product] = await Promise.all(
    ["serial", "manufacturer", "product"].map((n) => attr(dir, n)),
  );
  if (serial) device.serialNumber = serial;
  if (manufacturer) device.manufacturer = manufacturer;
  if (product) device.product = product;
  return device;
}

/** Every USB device (not hubs' interfaces) under `root`. Empty when sysfs is missing. */
export async function listUsbDevices(root: string = DEFAULT_USB_SYSFS): Promise<UsbDevice[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const devices = await Promise.all(names.filter((n) => LOCATION.test(n)).map((n) => readUsbDevice(root, n)));
  return devices
    .filter((d): d is UsbDevice => d !== undefined)
    .sort((a, b) => a.location.localeCompare(b.location));
}

/** The tty names (`ttyACM0`) of the CDC interfaces of the device at `location`. */
export async function ttysOf(root: string, location: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const ttys: string[] = [];
  for (const iface of names.filter((n) => n.startsWith(`${location}:`)).sort()) {
    try {
      ttys.push(...(await readdir(path.join(root, iface, "tty"))));
    } catch {
      // Not a CDC interface.
    }
  }
  return ttys;
}

/** The USB location in a sysfs device path (`…/1-2.3/1-2.3:1.0/host4/…` → `1-2.3`). */
export function locationInSysfsPath(devicePath: string): string | undefined {
  for (const segment of devicePath.split("/").reverse()) {
    const m = /^(\d+-\d+(?:\.\d+)*):\d+\.\d+$/.exec(segment);
    if (m) return m[1];
  }
  return undefined;
}
