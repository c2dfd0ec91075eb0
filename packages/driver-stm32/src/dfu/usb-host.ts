import { ErrorCodes, type PortInfo, type PortRef } from "@factory/core";
import { Stm32ErrorCodes, stm32Error } from "../errors";
import { ST_DFU_PRODUCT_ID, ST_DFU_VENDOR_ID } from "./constants";
import { type UsbDeviceLike, type UsbHostLike, usbLocation } from "./usb-types";

/** The `usb` package's WebUSB host, loaded only when a DFU port is used. */
export async function defaultUsbHost(): Promise<UsbHostLike> {
  try {
    const { WebUSB } = (await import("usb")) as unknown as {
      WebUSB: new (options: { allowAllDevices: boolean; deviceTimeout?: number }) => UsbHostLike;
    };
    return new WebUSB({ allowAllDevices: true, deviceTimeout: 5000 });
  } catch (error) {
    throw stm32Error(
      Stm32ErrorCodes.STM32_USB_UNAVAILABLE,
      "The usb package could not be loaded on this host",
      {
        cause: error,
      },
    );
  }
}

export interface DfuIds {
  vendorId: number;
  productId: number;
}

export const ST_DFU_IDS: DfuIds = { vendorId: ST_DFU_VENDOR_ID, productId: ST_DFU_PRODUCT_ID };

/**
 * Devices in DFU mode. A host without USB access (no /sys/bus/usb in a container, no libusb,
 * no permission) is `STM32_USB_UNAVAILABLE`, never an unhandled rejection.
 */
export async function listDfuDevices(host: UsbHostLike, ids: DfuIds = ST_DFU_IDS): Promise<UsbDeviceLike[]> {
  let devices: readonly UsbDeviceLike[];
  try {
    devices = await host.getDevices();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw stm32Error(
      Stm32ErrorCodes.STM32_USB_UNAVAILABLE,
      `USB devices cannot be listed on this host (${message}); check that /sys/bus/usb exists and the udev rule grants access`,
      { cause: error },
    );
  }
  return devices.filter((d) => d.vendorId === ids.vendorId && d.productId === ids.productId);
}

/** How a DFU port names its device. */
export type DfuSelector =
  | { by: "location"; location: string }
  | { by: "serial"; serial: string }
  | { by: "uid"; uid: string }
  | { by: "only" };

/**
 * Reads a DFU port: `usb:1-2.3` (bus-port location, stable per slot), `usb:serial=315A28A0B956`,
 * `usb:uid=<24 hex digits>` or plain `usb` (the only device). `PortRef.location` and
 * `serialNumber` are honoured too. Anything else is `INVALID_ARGUMENT`.
 */
export function parseDfuPort(port: PortRef): DfuSelector {
  if (port.location) return { by: "location", location: port.location };
  const path = port.path.trim();
  const match = /^usb(?::(.*))?$/i.exec(path);
  if (!match) {
    if (port.serialNumber) return { by: "serial", serial: port.serialNumber };
    throw stm32Error(
      ErrorCodes.INVALID_ARGUMENT,
      `"${port.path}" is not a DFU port (use usb:<bus>-<port>, usb:serial=… or usb:uid=…)`,
    );
  }
  const rest = match[1] ?? "";
  if (rest === "") return port.serialNumber ? { by: "serial", serial: port.serialNumber } : { by: "only" };
  const [key, value] = rest.includes("=")
    ? [rest.slice(0, rest.indexOf("=")), rest.slice(rest.indexOf("=") + 1)]
    : ["location", rest];
  if (key === "location" && /^\d+-\d+(\.\d+)*$/.test(value)) return { by: "location", location: value };
  if (key === "serial" && value) return { by: "serial", serial: value };
  if (key === "uid" && /^[0-9a-f]{24}$/i.test(value)) return { by: "uid", uid: value.toLowerCase() };
  throw stm32Error(
    ErrorCodes.INVALID_ARGUMENT,
    `"${port.path}" is not a DFU port (use usb:<bus>-<port>, usb:serial=… or usb:uid=…)`,
  );
}

/** Port entries for every DFU device, named by location when the host knows it. */
export function dfuPortInfo(device: UsbDeviceLike): PortInfo {
  const location = usbLocation(device);
  const serial = device.serialNumber ?? undefined;
  return {
    path: location ? `usb:${location}` : `usb:serial=${serial ?? ""}`,
    vendorId: device.vendorId,
    productId: device.productId,
    ...(serial ? { serialNumber: serial } : {}),
    ...(location ? { location } : {}),
    ...(device.manufacturerName ? { manufacturer: device.manufacturerName } : {}),
    familyHint: "stm32",
  };
}

/**
 * The candidates a selector matches (uid selection is narrowed later, by reading each UID).
 * Several devices answering one serial number is `DUPLICATE_IDENTITY`: the plant must name the
 * slot by location instead, never flash whichever answered first.
 */
export function matchDfuDevices(
  devices: readonly UsbDeviceLike[],
  selector: DfuSelector,
  where: string,
): UsbDeviceLike[] {
  switch (selector.by) {
    case "location":
      return devices.filter((d) => usbLocation(d) === selector.location);
    case "serial": {
      const found = devices.filter((d) => d.serialNumber === selector.serial);
      if (found.length > 1) {
        throw stm32Error(
          ErrorCodes.DUPLICATE_IDENTITY,
          `${found.length} DFU devices report serial ${selector.serial} (${found.map((d) => usbLocation(d) ?? "?").join(", ")}); name the port by USB location instead (${where})`,
          {
            details: { serial: selector.serial, locations: found.map((d) => usbLocation(d)) },
            retryable: false,
          },
        );
      }
      return found;
    }
    case "uid":
      return [...devices];
    case "only":
      if (devices.length > 1) {
        throw stm32Error(
          ErrorCodes.INVALID_ARGUMENT,
          `${devices.length} DFU devices are attached; name one by USB location (${devices.map((d) => usbLocation(d) ?? d.serialNumber ?? "?").join(", ")})`,
        );
      }
      return [...devices];
  }
}
