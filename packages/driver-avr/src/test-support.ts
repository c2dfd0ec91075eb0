import type { FlashPlan } from "@factory/core";
import { createSimBinding, type SimBinding } from "@factory/serial";
import { type AvrDriverOptions, createAvrDriver } from "./index";
import {
  createOptibootSimulator,
  type OptibootSimulator,
  type OptibootSimulatorOptions,
} from "./simulator/index";

/** A deterministic pseudo-random image (a stand-in for a compiled sketch). */
export function sketch(length: number, seed = 1): Uint8Array {
  let x = seed >>> 0 || 1;
  return Uint8Array.from({ length }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
}

/** A serial-number region's bytes: ASCII, padded with 0xFF. */
export function serialBytes(text: string, length = 16): Uint8Array {
  const out = new Uint8Array(length).fill(0xff);
  out.set(Buffer.from(text, "latin1").subarray(0, length));
  return out;
}

export const FAST_RESET = { releaseMs: 20, settleMs: 10 };

/** A simulated board on `sim:avr-0` and a driver wired to it. */
export function simulatedStation(
  sim: OptibootSimulatorOptions = {},
  driver: AvrDriverOptions = {},
): { binding: SimBinding; sim: OptibootSimulator; driver: ReturnType<typeof createAvrDriver>; path: string } {
  const binding = createSimBinding();
  const device = createOptibootSimulator(sim);
  binding.add("sim:avr-0", device);
  return {
    binding,
    sim: device,
    driver: createAvrDriver({ binding, resetTimings: FAST_RESET, ...driver }),
    path: "sim:avr-0",
  };
}

/** Sketch at 0 plus a serial number below the bootloader: two regions, as the conformance suite wants. */
export function unoPlan(serial = "SN-000123"): FlashPlan {
  return {
    regions: [
      { name: "sketch", offset: 0, data: sketch(1000), scope: "shared" },
      { name: "serial", offset: 0x7df0, data: serialBytes(serial), scope: "device" },
    ],
  };
}
