import path from "node:path";
import { ErrorCodes, type Logger, type SignalOptions, sleep, throwIfAborted } from "@factory/core";
import { PKG, picoError } from "../errors";
import {
  APP_PRODUCT_IDS,
  familyOfBootselProduct,
  type PicoFamily,
  RASPBERRY_PI_VENDOR_ID,
} from "../families";
import { readUsbDevice, ttysOf, type UsbDevice } from "../usb/sysfs";
import { touch1200 } from "../usb/touch";
import type { ResolvedPicoOptions } from "./options";

/** The USB location a port names: `usb:1-2.3`, or the port's `location`. */
export function locationOf(port: { path: string; location?: string | undefined }): string | undefined {
  const m = /^usb:(\d+-\d+(?:\.\d+)*)$/.exec(port.path);
  if (m) return m[1];
  if (port.location && /^\d+-\d+(\.\d+)*$/.test(port.location)) return port.location;
  return undefined;
}

/** What is plugged in at a location, as far as this driver cares. */
export type SlotState =
  | { kind: "absent" }
  | { kind: "other"; device: UsbDevice }
  | { kind: "bootsel"; device: UsbDevice; family: PicoFamily }
  | { kind: "app"; device: UsbDevice; ttys: string[] };

export async function slotState(options: ResolvedPicoOptions, location: string): Promise<SlotState> {
  const device = await readUsbDevice(options.usbSysfs, location);
  if (!device) return { kind: "absent" };
  if (device.vendorId !== RASPBERRY_PI_VENDOR_ID) return { kind: "other", device };
  const family = familyOfBootselProduct(device.productId);
  if (family) return { kind: "bootsel", device, family };
  if (APP_PRODUCT_IDS[device.productId])
    return { kind: "app", device, ttys: await ttysOf(options.usbSysfs, location) };
  return { kind: "other", device };
}

/** Polls the slot until `accept` returns a value, bounded by `timeoutMs`; rejects `SYNC_FAILED`. */
export async function waitForSlot<T>(
  options: ResolvedPicoOptions,
  location: string,
  what: string,
  accept: (state: SlotState) => T | undefined,
  signal?: AbortSignal,
): Promise<T> {
  const until = performance.now() + options.enumerationTimeoutMs;
  for (;;) {
    throwIfAborted(signal, PKG);
    const got = accept(await slotState(options, location));
    if (got !== undefined) return got;
    if (performance.now() > until) {
      throw picoError(
        ErrorCodes.SYNC_FAILED,
        `The board at USB ${location} did not ${what} within ${options.enumerationTimeoutMs} ms`,
        { details: { location, timeoutMs: options.enumerationTimeoutMs } },
      );
    }
    await sleep(25, signal);
  }
}

/**
 * Brings the board at `location` into BOOTSEL: as it is, or from a running pico-sdk application
 * by the 1200-baud touch on its CDC port, then waits for it to enumerate in BOOTSEL.
 * Rejects `NO_DEVICE` (nothing there, or not a Raspberry Pi board), `SYNC_FAILED` (it did not come back).
 */
export async function ensureBootsel(
  options: ResolvedPicoOptions,
  location: string,
  logger: Logger,
  { signal }: SignalOptions = {},
): Promise<{ device: UsbDevice; family: PicoFamily; appSerial?: string }> {
  const state = await slotState(options, location);
  if (state.kind === "bootsel") return { device: state.device, family: state.family };
  if (state.kind === "absent") {
    throw picoError(ErrorCodes.NO_DEVICE, `No board at USB ${location}`, { details: { location } });
  }
  if (state.kind === "other" || state.ttys.length === 0) {
    const d = state.device;
    throw picoError(
      ErrorCodes.NO_DEVICE,
      `The USB device at ${location} (${hex4(d.vendorId)}:${hex4(d.productId)}) is not an RP2040/RP2350 in BOOTSEL nor a pico-sdk application with a serial port; hold BOOTSEL while plugging it in`,
      { details: { location, vendorId: d.vendorId, productId: d.productId } },
    );
  }
  const tty = path.join(options.devDir, state.ttys[0]!);
  logger.info("sending the board to BOOTSEL (1200-baud touch)", { location, tty });
  await touch1200(tty, {
    logger,
    ...(options.binding ? { binding: options.binding } : {}),
    ...(signal ? { signal } : {}),
  });
  const back = await waitForSlot(
    options,
    location,
    "come back in BOOTSEL after the 1200-baud touch",
    (s) => (s.kind === "bootsel" ? s : undefined),
    signal,
  );
  return {
    device: back.device,
    family: back.family,
    ...(state.device.serialNumber ? { appSerial: state.device.serialNumber } : {}),
  };
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0");
}
