import { ErrorCodes, type ResetMode } from "@factory/core";
import { picoError } from "../errors";
import type { DeviceSelector, Picotool } from "../picotool/picotool";
import { slotState, waitForSlot } from "./locate";
import type { ResolvedPicoOptions } from "./options";

export interface ResetContext {
  options: ResolvedPicoOptions;
  location: string;
  /** Undefined with the BOOTSEL drive transport. */
  picotool: Picotool | undefined;
  /** Brings the board into BOOTSEL (1200-baud touch from an application). */
  toBootsel: (signal?: AbortSignal) => Promise<DeviceSelector>;
  signal?: AbortSignal;
}

/**
 * `bootloader`: the 1200-baud touch from a running application, or `picotool reboot -u` from
 * BOOTSEL, then waits for the new enumeration. `app`: `picotool reboot`, then waits for the board
 * to come back; a board that comes back in BOOTSEL has nothing bootable (`FLASH_FAILED`).
 * `hard`, and `app` without picotool: `NOT_SUPPORTED`.
 */
export async function resetBoard(mode: ResetMode, ctx: ResetContext): Promise<void> {
  const { options, location, signal } = ctx;
  if (mode === "hard") {
    throw picoError(
      ErrorCodes.NOT_SUPPORTED,
      "RP2040/RP2350 boards have no reset line on USB: hard reset is not supported",
      {
        retryable: false,
      },
    );
  }
  if (mode === "app" && !ctx.picotool) {
    throw picoError(
      ErrorCodes.NOT_SUPPORTED,
      'reset("app") needs picotool; with the BOOTSEL drive transport the bootrom starts the application after the copy',
      { retryable: false },
    );
  }
  const state = await slotState(options, location);
  const sig = signal ? { signal } : {};
  if (mode === "bootloader") {
    if (state.kind !== "bootsel") {
      await ctx.toBootsel(signal);
      return;
    }
    if (!ctx.picotool) return; // Already in BOOTSEL, which is what was asked.
    const before = state.device.address;
    await ctx.picotool.reboot("bootsel", { bus: state.device.bus, address: before }, sig);
    await waitForSlot(
      options,
      location,
      "come back in BOOTSEL",
      (s) => (s.kind === "bootsel" && s.device.address !== before ? s : undefined),
      signal,
    );
    return;
  }
  if (state.kind === "app") return;
  if (state.kind !== "bootsel")
    throw picoError(ErrorCodes.NO_DEVICE, `No board at USB ${location}`, { details: { location } });
  const before = state.device.address;
  await ctx.picotool!.reboot("application", { bus: state.device.bus, address: before }, sig);
  const after = await waitForSlot(
    options,
    location,
    "re-enumerate after the reboot",
    (s) => (s.kind !== "absent" && "device" in s && s.device.address !== before ? s : undefined),
    signal,
  );
  if (after.kind === "bootsel") {
    throw picoError(
      ErrorCodes.FLASH_FAILED,
      `The board at USB ${location} came back in BOOTSEL: the flash holds no bootable application`,
      { retryable: false, details: { location } },
    );
  }
}
