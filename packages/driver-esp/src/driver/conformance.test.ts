import { describeBoardDriverConformance } from "@factory/core/testing";
import type { EspFamily } from "../protocol/chips";
import { createEspSimulator, EspSimBinding, makeFirmwareImage, makePartitionTable } from "../simulator";
import { createEspDriver } from "./driver";

for (const chip of ["esp32", "esp8266", "esp32s2", "esp32c6"] as const) {
  describeBoardDriverConformance(`esp driver on the ${chip} simulator`, async () => {
    const sim = await createEspSimulator({ chip, seed: 3 });
    const binding = new EspSimBinding().add("sim:esp-0", sim);
    const driver = createEspDriver({ binding });
    const bootOffset = sim.chip.bootloaderOffset;
    return {
      driver,
      port: { path: "sim:esp-0" },
      emptyPort: { path: "sim:nothing-here" },
      plan: {
        regions: [
          {
            name: "bootloader",
            offset: bootOffset,
            data: makeFirmwareImage({ size: 24_000, chip, seed: 1 }),
          },
          { name: "partition-table", offset: 0x8000, data: makePartitionTable() },
          { name: "app", offset: 0x10000, data: makeFirmwareImage({ size: 180_000, chip, seed: 2 }) },
        ],
      },
      consoleProbe: { command: "info", expect: /^OK / },
      readBack: async (offset, length) => sim.readFlashImage(offset, length),
      unplug: () => sim.unplug(),
    };
  });
}

// The same suite against a real board when ESP_TEST_PORT names its serial port. The plan's images
// are synthetic (they do not boot), and a real board cannot be unplugged or read out of band.
const realPort = process.env.ESP_TEST_PORT;
if (realPort) {
  const chip = (process.env.ESP_TEST_CHIP ?? "esp32") as EspFamily;
  describeBoardDriverConformance(
    `esp driver on the board at ${realPort}`,
    async () => ({
      driver: createEspDriver(),
      port: { path: realPort },
      plan: {
        regions: [
          {
            name: "nvs",
            offset: 0x9000,
            data: makeFirmwareImage({ size: 0x3000, chip, seed: 1 }).map((b) => b ^ 0x5a),
          },
          { name: "app", offset: 0x10000, data: makeFirmwareImage({ size: 180_000, chip, seed: 2 }) },
        ],
      },
    }),
    {
      timeoutMs: 120_000,
      skip: {
        "reset and console follow the capability flags":
          "the synthetic test images do not boot, so no console answers",
      },
    },
  );
}
