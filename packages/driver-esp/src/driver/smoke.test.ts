import { describe, expect, it } from "vitest";
import { EspSimBinding, createEspSimulator, makeFirmwareImage, makePartitionTable } from "../simulator";
import { createEspDriver } from "./driver";

describe("smoke", () => {
  it("flashes and verifies", async () => {
    const sim = await createEspSimulator({ chip: "esp32", mac: "24:0a:c4:01:02:03" });
    const binding = new EspSimBinding().add("sim:0", sim);
    const driver = createEspDriver({ binding });
    const session = await driver.open({ path: "sim:0" });
    const id = await session.identify();
    console.log(id);
    const app = makeFirmwareImage({ size: 300_000 });
    const boot = makeFirmwareImage({ size: 20_000, seed: 2 });
    const plan = { regions: [
      { name: "bootloader", offset: 0x1000, data: boot },
      { name: "partition-table", offset: 0x8000, data: makePartitionTable() },
      { name: "app", offset: 0x10000, data: app },
    ] };
    const r = await session.flash(plan);
    console.log(r);
    const v = await session.verify(plan);
    expect(v.ok).toBe(true);
    expect(Buffer.from(sim.readFlashImage(0x10000, app.length)).equals(Buffer.from(app))).toBe(true);
    const r2 = await session.flash(plan);
    expect(r2.regions.every((x) => x.skipped)).toBe(true);
    await session.reset("app");
    const con = await session.openConsole();
    await con.writeLine("info");
    const line = await con.expect(/^OK/, { timeoutMs: 1000 });
    console.log(line, sim.stats);
    await session.close();
  });
});
