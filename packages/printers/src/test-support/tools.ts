import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The text of every barcode zbarimg finds in a PNG (empty when none). */
export async function decodeBarcodes(png: Uint8Array): Promise<string[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "printers-zbar-"));
  try {
    const file = path.join(dir, "image.png");
    await writeFile(file, png);
    const { stdout } = await run("zbarimg", ["-q", "--raw", "--nodbus", file], { timeout: 20_000 }).catch(
      (e: { code?: number; stdout?: string }) => (e.code === 4 ? { stdout: "" } : Promise.reject(e)),
    );
    return stdout.split("\n").filter(Boolean);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Rasterizes page 1 of a PDF with pdftoppm. */
export async function pdfToPng(pdf: Uint8Array, dpi = 300): Promise<Buffer> {
  const dir = await mkdtemp(path.join(tmpdir(), "printers-ppm-"));
  try {
    await writeFile(path.join(dir, "in.pdf"), pdf);
    await run(
      "pdftoppm",
      ["-png", "-r", String(dpi), "-f", "1", "-l", "1", "-singlefile", "in.pdf", "page"],
      {
        cwd: dir,
        timeout: 20_000,
      },
    );
    return await readFile(path.join(dir, "page.png"));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text layer of a PDF (pdftotext, layout kept). */
export async function pdfText(pdf: Uint8Array): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), "printers-txt-"));
  try {
    await writeFile(path.join(dir, "in.pdf"), pdf);
    const { stdout } = await run("pdftotext", ["-layout", "in.pdf", "-"], { cwd: dir, timeout: 20_000 });
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Renders ZPL to PNG with zpl-renderer-js (the zebrash engine), at the label's size. */
export async function zplToPng(zpl: string, widthMm: number, heightMm: number, dpi = 203): Promise<Buffer> {
  const { ready } = await import("zpl-renderer-js");
  const { api } = await ready;
  return Buffer.from(await api.zplToBase64Async(zpl, widthMm, heightMm, Math.round(dpi / 25.4)), "base64");
}
