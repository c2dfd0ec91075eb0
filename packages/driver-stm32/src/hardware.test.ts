/**
 * Real hardware, only when a port is named (these tests ERASE AND REWRITE flash at 0x08004000+):
 *   STM32_TEST_PORT=/dev/ttyUSB0 [STM32_TEST_BAUD=115200] [STM32_TEST_WIRING=reset=rts,boot0=dtr]
 *   STM32_TEST_USB=usb:1-2.3   (or usb, for the only DFU device attached)
 */
import type { FlashPlan } from "@factory/core";
import { describeBoardDriverConformance } from "@factory/core/testing";
import { describe, it } from "vitest";
import { Stm32Driver } from "./driver/driver";
import type { ResetWiring } from "./uart/uart-access";

const uartPort = process.env.STM32_TEST_PORT;
const usbPort = process.env.STM32_TEST_USB;

const plan = (): FlashPlan => ({
  regions: [
    { name: "app", offset: 0x0800_4000, data: Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff) },
    { name: "data", offset: 0x0800_8000, data: Uint8Array.from({ length: 256 }, (_, i) => 255 - i) },
  ],
});

function wiring(text: string | undefined): ResetWiring | undefined {
  if (!text) return undefined;
  const out: ResetWiring = {};
  for (const part of text.split(",")) {
    const [pin, line] = part.split("=");
    if ((pin === "reset" || pin === "boot0") && (line === "dtr" || line === "rts")) out[pin] = line;
  }
  return out;
}

if (uartPort) {
  const w = wiring(process.env.STM32_TEST_WIRING);
  describeBoardDriverConformance(
    `stm32 UART bootloader on ${uartPort}`,
    async () => ({
      driver: new Stm32Driver({
        transport: "uart",
        baudRate: Number(process.env.STM32_TEST_BAUD ?? 115200),
        ...(w ? { wiring: w } : {}),
      }),
      port: { path: uartPort },
      plan: plan(),
    }),
    {
      timeoutMs: 120_000,
      ...(w?.reset
        ? {}
        : {
            skip: {
              "reset and console follow the capability flags":
                "without NRST wired, reset('app') (Go) leaves the bootloader and the later tests could not sync; wire reset=rts to run it",
            },
          }),
    },
  );
}

if (usbPort) {
  describeBoardDriverConformance(
    `stm32 DFU on ${usbPort}`,
    async () => ({ driver: new Stm32Driver({ transport: "dfu" }), port: { path: usbPort }, plan: plan() }),
    {
      timeoutMs: 120_000,
      skip: {
        "reset and console follow the capability flags":
          "reset('app') leaves DFU; the part must be put back into DFU mode by hand",
      },
    },
  );
}

describe.skipIf(uartPort || usbPort)("STM32 real hardware", () => {
  it.skip("set STM32_TEST_PORT (UART) or STM32_TEST_USB (DFU) to run the conformance suite on a real part", () => {});
});
