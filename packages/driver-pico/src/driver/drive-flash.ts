import { ErrorCodes, type FlashOptions, type FlashResult, type Logger } from "@factory/core";
import { picoError } from "../errors";
import { FAMILIES, type PicoFamily } from "../families";
import { writeUf2 } from "../uf2/writer";
import { findBootselDrives } from "../usb/bootsel-drive";
import { copyUf2ToDrive } from "../usb/drive-copy";
import type { ResolvedPicoOptions } from "./options";
import type { PreparedRegion } from "./regions";

/**
 * Writes every region in one UF2 copied to the board's BOOTSEL drive (one transfer, so the bootrom
 * reboots once, after the last block). Block numbers run across the whole file. The bootrom gives
 * no read-back here: regions are reported written, never skipped.
 */
export async function flashThroughDrive(
  options: ResolvedPicoOptions,
  location: string,
  family: PicoFamily,
  regions: PreparedRegion[],
  flash: FlashOptions,
  logger: Logger,
): Promise<FlashResult> {
  const started = performance.now();
  const mountPoint = await driveFor(options, location);
  const parts = regions.map((r) => writeUf2(r.bytes, { family, address: r.address, errataBlock: false }));
  const total = parts.reduce((n, p) => n + p.length / 512, 0);
  const errata =
    family === "rp2350"
      ? writeUf2(new Uint8Array(256), { family, errataBlock: true }).subarray(0, 512)
      : undefined;
  const file = new Uint8Array((errata ? 512 : 0) + total * 512);
  let at = 0;
  if (errata) {
    file.set(errata, 0);
    at = 512;
  }
  const spans: { start: number; end: number; region: PreparedRegion }[] = [];
  let blockNo = 0;
  for (const [i, part] of parts.entries()) {
    const start = at;
    for (let b = 0; b < part.length; b += 512) {
      const block = part.slice(b, b + 512);
      const view = new DataView(block.buffer);
      view.setUint32(20, blockNo, true);
      view.setUint32(24, total, true);
      blockNo += 1;
      file.set(block, at);
      at += 512;
    }
    spans.push({ start, end: at, region: regions[i]! });
  }
  logger.info("copying UF2 to the BOOTSEL drive", { location, mountPoint, bytes: file.length });
  await copyUf2ToDrive(mountPoint, file, {
    ...(flash.signal ? { signal: flash.signal } : {}),
    vanishTimeoutMs: options.driveTimeoutMs,
    onProgress: (done) => {
      for (const s of spans) {
        if (done < s.start) break;
        const len = s.region.bytes.length;
        const fraction = Math.min(1, (done - s.start) / (s.end - s.start));
        flash.onProgress?.({
          region: s.region.region.name,
          phase: "write",
          bytesDone: Math.round(fraction * len),
          bytesTotal: len,
        });
      }
    },
  });
  const durationMs = performance.now() - started;
  return {
    regions: regions.map((r) => ({
      name: r.region.name,
      offset: r.region.offset,
      size: r.bytes.length,
      skipped: false,
      durationMs,
    })),
    bytesWritten: regions.reduce((n, r) => n + r.bytes.length, 0),
    durationMs,
  };
}

async function driveFor(options: ResolvedPicoOptions, location: string): Promise<string> {
  if (options.drivePath) return options.drivePath;
  const drives = await findBootselDrives({ mountsFile: options.mountsFile, blockClass: options.blockClass });
  const mine = drives.find((d) => d.location === location);
  if (mine) return mine.mountPoint;
  const unplaced = drives.filter((d) => d.location === undefined);
  if (drives.length === 1 && unplaced.length === 1) return unplaced[0]!.mountPoint;
  throw picoError(
    ErrorCodes.NO_DEVICE,
    `No mounted BOOTSEL drive (${Object.values(FAMILIES)
      .map((f) => f.volumeLabel)
      .join(" / ")}) belongs to the board at USB ${location}` +
      (drives.length
        ? ` (found ${drives.map((d) => d.mountPoint).join(", ")})`
        : "; is the drive automounted?"),
    { details: { location, drives: drives.map((d) => d.mountPoint) } },
  );
}
