import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  defineBoardDriver,
  defineSwitchDriver,
  isDriverFactory,
  loadBoardDriver,
  loadDriverFactory,
} from "./plugin";
import { createFakeBoard } from "./testing/fake-board";

const project = mkdtempSync(path.join(tmpdir(), "factory-plugin-"));
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** Writes a package into the temporary project's node_modules, as a plant's install would. */
function installPackage(name: string, source: string): void {
  const dir = path.join(project, "node_modules", ...name.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "1.0.0", type: "module", exports: { ".": "./index.js" } }),
  );
  writeFileSync(path.join(dir, "index.js"), source);
}

// A factory as another copy of @factory/core would make it: only the global-registry brand is shared.
installPackage(
  "@acme/factory-driver-widget",
  `export default {
     [Symbol.for("factory.driver-factory")]: "board",
     kind: "board", name: "widget", families: ["widget"],
     create: (options) => ({ name: "widget", families: ["widget"], options }),
   };`,
);
installPackage("not-a-driver", "export const hello = 1;");
installPackage(
  "factory-switch-only",
  `export const driverFactory = { [Symbol.for("factory.driver-factory")]: "switch", kind: "switch", name: "sw", families: [], create: () => ({}) };`,
);
installPackage("broken-driver", `import "a-dependency-that-is-missing"; export default {};`);

describe("driver plugins", () => {
  it("loads a driver package by name from the project directory, across copies of core", async () => {
    const factory = await loadDriverFactory("board", "@acme/factory-driver-widget", { baseDir: project });
    expect(factory.name).toBe("widget");
    expect(isDriverFactory(factory, "board")).toBe(true);
    const driver = await loadBoardDriver(
      "@acme/factory-driver-widget",
      { baud: 921600 },
      { baseDir: project },
    );
    expect(driver).toMatchObject({ name: "widget", options: { baud: 921600 } });
  });

  it("says which package to install when it is missing", async () => {
    const error = await loadDriverFactory("board", "@factory/driver-stm32-nonexistent", {
      baseDir: project,
    }).catch((e) => e);
    expect(error.code).toBe("DRIVER_NOT_INSTALLED");
    expect(error.message).toContain("pnpm add @factory/driver-stm32-nonexistent");
    expect(error.details.install).toBe("pnpm add @factory/driver-stm32-nonexistent");
  });

  it("tells a missing dependency inside the driver apart from a missing driver", async () => {
    const error = await loadDriverFactory("board", "broken-driver", { baseDir: project }).catch((e) => e);
    expect(error.code).toBe("DRIVER_INVALID");
    expect(error.message).toContain("a-dependency-that-is-missing");
  });

  it("rejects a package that exports no factory, or one of another kind", async () => {
    await expect(loadDriverFactory("board", "not-a-driver", { baseDir: project })).rejects.toMatchObject({
      code: "DRIVER_INVALID",
    });
    const wrongKind = await loadDriverFactory("board", "factory-switch-only", { baseDir: project }).catch(
      (e) => e,
    );
    expect(wrongKind.code).toBe("DRIVER_INVALID");
    expect(wrongKind.message).toContain("switch driver");
    await expect(
      loadDriverFactory("switch", "factory-switch-only", { baseDir: project }),
    ).resolves.toMatchObject({
      name: "sw",
    });
  });

  it("refuses names that are not package names", async () => {
    await expect(loadDriverFactory("board", "../../etc/passwd", { baseDir: project })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("defineBoardDriver passes options and a context to create", async () => {
    const fake = createFakeBoard();
    const seen: unknown[] = [];
    const factory = defineBoardDriver<{ baud: number }>({
      name: "fake",
      families: ["fake32"],
      create: (options, context) => {
        seen.push(options, context.baseDir);
        return fake.driver;
      },
    });
    expect(isDriverFactory(factory, "board")).toBe(true);
    expect(isDriverFactory(factory, "switch")).toBe(false);
    expect(isDriverFactory(defineSwitchDriver({ name: "s", create: () => ({}) as never }), "switch")).toBe(
      true,
    );
    const driver = await loadBoardDriver(
      "virtual",
      { baud: 115200 },
      { importer: async () => ({ default: factory }), baseDir: "/x" },
    );
    expect(driver).toBe(fake.driver);
    expect(seen).toEqual([{ baud: 115200 }, "/x"]);
  });
});
