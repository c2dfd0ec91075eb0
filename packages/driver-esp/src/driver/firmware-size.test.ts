import type { FlashPlan, FlashProgress } from "@factory/core";
import { describe, expect, it } from "vitest";
import { createEspSimulator, EspSimBinding, makeFirmwareImage, makePartitionTable } from "../simulator";
import { createEspDriver } from "./driver";

describe("firmware-sized images", () => {
  it.each([1, 2, 4])(
    "flashes a %i MB plan and the simulator's flash matches byte for byte",
    async (mb) => {
      const flashSize = mb === 4 ? 8 << 20 : 4 << 20;
      const sim = await createEspSimulator({ chip: "esp32", flashSize, seed: mb });
      const driver = createEspDriver({ binding: new EspSimBinding().add("sim:big", sim) });
      const app = makeFirmwareImage({ size: mb * 1024 * 1024 - 0x10000, seed: mb * 13 });
      const plan: FlashPlan = {
        regions: [
          { name: "bootloader", offset: 0x1000, data: makeFirmwareImage({ size: 26_000, seed: 1 }) },
          { name: "partition-table", offset: 0x8000, data: makePartitionTable(app.length) },
          { name: "app", offset: 0x10000, data: app },
        ],
      };
      const session = await driver.open({ path: "sim:big" });
      const progress: FlashProgress[] = [];
      const result = await session.flash(plan, { onProgress: (p) => progress.push(p) });
      expect(result.bytesWritten).toBeGreaterThanOrEqual(app.length);
      const wire = progress.filter((p) => p.region === "app" && p.phase === "write").at(-1)!.wireBytes!;
      // Realistic compressibility: the app went over the wire at 50–75 % of its size.
      expect(wire / app.length).toBeGreaterThan(0.5);
      expect(wire / app.length).toBeLessThan(0.75);
      for (const r of plan.regions) {
        expect(Buffer.from(sim.readFlashImage(r.offset, r.data.length)).equals(Buffer.from(r.data))).toBe(
          true,
        );
      }
      // Bytes between regions and after the app stay erased.
      expect(sim.readFlashImage(0x10000 + app.length + 4096, 4096).every((b) => b === 0xff)).toBe(true);
      expect((await session.verify(plan)).ok).toBe(true);
      await session.close();
    },
    120_000,
  );
});
