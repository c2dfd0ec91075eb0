import { fileURLToPath } from "node:url";
import { isFactoryError, loadBoardDriver, loadDriverFactory } from "@factory/core";
import { describe, expect, it } from "vitest";
import { createLineBench } from "./simulator";

// Resolve from this package's folder, as a plant's line script resolves from its own project.
const baseDir = fileURLToPath(new URL("..", import.meta.url));

describe("loading the driver by package name", () => {
  it("finds the default export as a board driver factory for lp1", async () => {
    const factory = await loadDriverFactory("board", "@factory/example-custom-driver", { baseDir });
    expect(factory.kind).toBe("board");
    expect(factory.name).toBe("line-protocol");
    expect(factory.families).toEqual(["lp1"]);
  });

  it("creates a working driver from the loaded factory", async () => {
    const bench = createLineBench();
    const board = bench.plug("sim:c1", { uid: "00112233445566ff" });
    try {
      const factory = await loadDriverFactory("board", "@factory/example-custom-driver", { baseDir });
      const driver = await factory.create({ connect: bench.connect });
      const session = await driver.open({ path: "sim:c1" });
      try {
        expect((await session.identify()).uniqueId).toBe("00112233445566ff");
      } finally {
        await session.close();
      }
      expect(board.received).toEqual(["!RESET", "ID?"]);
    } finally {
      await bench.close();
    }
  });

  it("passes board config settings through and refuses ones it does not know", async () => {
    await expect(
      loadBoardDriver("@factory/example-custom-driver", { replyTimeoutMs: 0 }, { baseDir }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(
      loadBoardDriver("@factory/example-custom-driver", { baud: 115200 }, { baseDir }),
    ).rejects.toThrow(/Unknown driver options for the LP1 driver: baud/);
  });

  it("is refused where a switch driver is needed", async () => {
    await expect(
      loadDriverFactory("switch", "@factory/example-custom-driver", { baseDir }),
    ).rejects.toMatchObject({
      code: "DRIVER_INVALID",
    });
  });

  it("names the install command when a driver package is missing", async () => {
    const error = await loadDriverFactory("board", "@acme/factory-driver-not-there", { baseDir }).catch(
      (e) => e,
    );
    expect(isFactoryError(error, "DRIVER_NOT_INSTALLED")).toBe(true);
    expect((error as Error).message).toContain("pnpm add @acme/factory-driver-not-there");
  });
});
