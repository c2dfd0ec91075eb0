import { describe, expect, it } from "vitest";
import { describeBoardDriverConformance } from "./board-conformance";
import { createFakeBoard } from "./fake-board";

const plan = () => ({
  regions: [
    { name: "bootloader", offset: 0x1000, data: new Uint8Array(20_000).map((_, i) => (i * 7) & 0xff) },
    { name: "app", offset: 0x10000, data: new Uint8Array(100_000).map((_, i) => (i * 13 + 5) & 0xff) },
  ],
});

describeBoardDriverConformance("fake board", async () => {
  const fake = createFakeBoard();
  const device = fake.plug("/dev/fake0");
  return {
    driver: fake.driver,
    port: { path: "/dev/fake0" },
    emptyPort: { path: "/dev/fake-empty" },
    plan: plan(),
    consoleProbe: { command: "info", expect: "OK" },
    readBack: async (offset, length) => device.memory.slice(offset, offset + length),
    unplug: () => fake.unplug("/dev/fake0"),
  };
});

describe("fake board", () => {
  it("keeps devices per instance", () => {
    const a = createFakeBoard();
    const b = createFakeBoard();
    a.plug("/dev/x");
    expect(b.device("/dev/x")).toBeUndefined();
  });

  it("fails an injected fault only the given number of times", async () => {
    const fake = createFakeBoard();
    fake.plug("/dev/x");
    fake.inject("/dev/x", { op: "open", code: "SYNC_FAILED", times: 1 });
    await expect(fake.driver.open({ path: "/dev/x" })).rejects.toMatchObject({ code: "SYNC_FAILED" });
    const session = await fake.driver.open({ path: "/dev/x" });
    await session.close();
    expect(fake.openPorts()).toEqual([]);
  });

  it("a corrupt-write fault is caught by verify", async () => {
    const fake = createFakeBoard();
    fake.plug("/dev/x");
    fake.inject("/dev/x", { op: "flash", corrupt: true, times: 1 });
    const session = await fake.driver.open({ path: "/dev/x" });
    const p = plan();
    await session.flash(p);
    expect((await session.verify(p)).ok).toBe(false);
    await session.close();
  });
});
