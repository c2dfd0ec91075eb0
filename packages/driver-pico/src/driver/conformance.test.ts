import type { FlashPlan } from "@factory/core";
import { describeBoardDriverConformance } from "@factory/core/testing";
import { describe } from "vitest";
import { createPicoLab } from "../simulator/lab";
import { testImage } from "../test-support";
import { createPicoDriver } from "./driver";

const plan = (): FlashPlan => ({
  regions: [
    { name: "app", offset: 0, data: testImage(20_000, 1) },
    { name: "config", offset: 0x10_0000, data: testImage(4096, 2) },
  ],
});

for (const family of ["rp2040", "rp2350"] as const) {
  describeBoardDriverConformance(
    `pico ${family} (picotool double, simulated USB host)`,
    async () => {
      const lab = await createPicoLab();
      const board = lab.addBoard({ location: "1-2", family, flashSize: 4 << 20 });
      const driver = createPicoDriver(lab.driverOptions);
      return {
        driver,
        port: { path: "usb:1-2", label: "A1" },
        emptyPort: { path: "usb:1-9" },
        plan: plan(),
        consoleProbe: {
          command: "info",
          expect: new RegExp(`^OK ${board.chip} ${board.flashId.toLowerCase()}$`),
        },
        readBack: async (offset, length) => board.flash.read(offset, length),
        unplug: () => lab.unplug(board),
        teardown: () => lab.close(),
      };
    },
    { timeoutMs: 60_000 },
  );
}

// Real hardware: PICO_TEST=1 with one board plugged in (PICO_TEST_PORT=usb:1-2 to pick one), picotool on PATH.
describe.runIf(process.env.PICO_TEST === "1")(
  "real board (runs only with PICO_TEST=1 and a board plugged in)",
  () => {
    describeBoardDriverConformance(
      "pico on real hardware",
      async () => {
        const driver = createPicoDriver();
        const wanted = process.env.PICO_TEST_PORT;
        const port = wanted ? { path: wanted } : (await driver.list())[0];
        if (!port) throw new Error("PICO_TEST=1 but no RP2040/RP2350 board is plugged in");
        return { driver, port, plan: plan() };
      },
      {
        timeoutMs: 120_000,
        skip: {
          "reset and console follow the capability flags": "the test image is not a runnable application",
        },
      },
    );
  },
);
