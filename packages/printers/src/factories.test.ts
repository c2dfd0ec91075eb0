import path from "node:path";
import { loadDriverFactory } from "@factory/core";
import { describe, expect, it } from "vitest";

const importer = () => import("./index");

describe("printer factories loaded by package name", () => {
  it("the default export picks the printer by type", async () => {
    const factory = await loadDriverFactory("printer", "@factory/printers", { importer });
    const printer = await factory.create({ type: "zpl", host: "10.0.5.20" });
    expect(printer.name).toBe("zpl@10.0.5.20:9100");
    expect(printer.capabilities.formats).toEqual(["zpl"]);
    const ipp = await factory.create({ type: "ipp", url: "ipp://cups.local/printers/labels" });
    expect(ipp.capabilities.formats).toEqual(["pdf"]);
    await expect(async () => factory.create({ type: "laser" })).rejects.toMatchObject({
      code: "CONFIG_INVALID",
    });
  });

  it("named factories resolve file printer directories against the config's directory", async () => {
    const factory = await loadDriverFactory("printer", "@factory/printers", {
      importer,
      exportName: "pngFiles",
    });
    const printer = await factory.create({ dir: "labels" }, { baseDir: "/srv/plant" });
    expect(printer.name).toBe(`png-files@${path.resolve("/srv/plant/labels")}`);
    expect(printer.capabilities.formats).toEqual(["png"]);
  });
});
