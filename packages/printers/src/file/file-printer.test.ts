import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describePrinterConformance, sampleLabel } from "@factory/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hasCups } from "../test-support/cups";
import { decodeBarcodes, pdfText } from "../test-support/tools";
import { createFilePrinter } from "./file-printer";

const NO_DEVICE =
  "a file printer has no media, head, pause or link to lose; an unwritable directory is tested below";
const skip = {
  "refuses to print when paper-out": NO_DEVICE,
  "refuses to print when head-open": NO_DEVICE,
  "refuses to print when paused": NO_DEVICE,
  "refuses to print when offline": NO_DEVICE,
};
const tools = hasCups();

async function newest(dir: string): Promise<string | undefined> {
  const files = (await readdir(dir)).filter((f) => f.startsWith("label-")).sort();
  return files.at(-1) ? path.join(dir, files.at(-1)!) : undefined;
}

for (const format of ["pdf", "png"] as const) {
  describePrinterConformance(
    `${format.toUpperCase()} files`,
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "printers-files-"));
      const printer = createFilePrinter({ dir, format });
      return {
        printer,
        // PDF: the text layer; PNG: no text to read (its QR is decoded in the tests below).
        ...(format === "pdf" && tools
          ? {
              lastOutput: async () => {
                const file = await newest(dir);
                return file ? pdfText(await readFile(file)) : undefined;
              },
            }
          : {}),
        teardown: () => rm(dir, { recursive: true, force: true }),
      };
    },
    { skip },
  );
}

describe("file printers", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "printers-files-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes each label atomically with mode 0600 into a 0700 directory it creates", async () => {
    const target = path.join(dir, "labels");
    const printer = createFilePrinter({ dir: target, format: "pdf" });
    const receipt = await printer.print({ label: sampleLabel() });
    expect(receipt.file).toBeDefined();
    expect((await stat(receipt.file!)).mode & 0o777).toBe(0o600);
    expect((await stat(target)).mode & 0o777).toBe(0o700);
    expect((await readFile(receipt.file!)).subarray(0, 5).toString()).toBe("%PDF-");
    expect(await readdir(target)).toEqual([path.basename(receipt.file!)]);
    expect(receipt.bytes).toBe((await stat(receipt.file!)).size);
  });

  it.runIf(tools)("a PNG label's QR decodes to the label's content", async () => {
    const label = sampleLabel();
    const receipt = await createFilePrinter({ dir, format: "png", dpi: 300 }).print({ label });
    expect(await decodeBarcodes(await readFile(receipt.file!))).toEqual([label.qr]);
  });

  it("keeps only the newest maxFiles labels and never touches other files", async () => {
    await writeFile(path.join(dir, "notes.txt"), "keep me");
    const printer = createFilePrinter({ dir, format: "png", retention: { maxFiles: 2 } });
    const receipts = [];
    for (let i = 0; i < 4; i++) receipts.push(await printer.print({ label: sampleLabel() }));
    const left = (await readdir(dir)).sort();
    expect(left).toEqual(["notes.txt", ...receipts.slice(2).map((r) => path.basename(r.file!))].sort());
  });

  it("removes labels older than maxAgeMs", async () => {
    const printer = createFilePrinter({ dir, format: "png", retention: { maxAgeMs: 60_000 } });
    const old = await printer.print({ label: sampleLabel() });
    const past = new Date(Date.now() - 3_600_000);
    await utimes(old.file!, past, past);
    const fresh = await printer.print({ label: sampleLabel() });
    expect(await readdir(dir)).toEqual([path.basename(fresh.file!)]);
  });

  it("a directory that cannot be written is offline, and printing there fails with PRINTER_OFFLINE", async () => {
    const blocked = path.join(dir, "is-a-file");
    await writeFile(blocked, "");
    const printer = createFilePrinter({ dir: blocked });
    expect((await printer.status()).state).toBe("offline");
    await expect(printer.print({ label: sampleLabel() })).rejects.toMatchObject({ code: "PRINTER_OFFLINE" });
  });

  it("masks secrets when asked (screen previews)", async () => {
    const label = sampleLabel();
    const receipt = await createFilePrinter({ dir, format: "pdf", maskSecrets: true }).print({ label });
    const bytes = await readFile(receipt.file!);
    if (tools) {
      const text = await pdfText(bytes);
      for (const f of label.fields) expect(text).not.toContain(f.value);
    }
    for (const f of label.fields) expect(bytes.includes(f.value)).toBe(false);
  });

  it("rejects bad configuration with CONFIG_INVALID", () => {
    expect(() => createFilePrinter({ dir: "" })).toThrow(expect.objectContaining({ code: "CONFIG_INVALID" }));
    expect(() => createFilePrinter({ dir, format: "jpg" as never })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
    expect(() => createFilePrinter({ dir, retention: { maxFiles: 0 } })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
  });
});
