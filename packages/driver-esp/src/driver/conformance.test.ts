import { describeBoardDriverConformance } from "@factory/core/testing";
import { createEspSimulator, EspSimBinding, makeFirmwareImage, makePartitionTable } from "../simulator";
import { createEspDriver } from "./driver";

for (const chip of ["esp32", "esp8266"] as const) {
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
