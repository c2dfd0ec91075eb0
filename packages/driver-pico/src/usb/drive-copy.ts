import { access, open } from "node:fs/promises";
import path from "node:path";
import { ErrorCodes, type SignalOptions, sleep, throwIfAborted } from "@factory/core";
import { PKG, picoError } from "../errors";

export interface DriveCopyOptions extends SignalOptions {
  /** Bytes written so far, after each chunk. */
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** How long the bootrom may take to reboot and the drive to vanish. Default 15 s. */
  vanishTimeoutMs?: number;
  /** File name on the drive. Default `FIRMWARE.UF2`. */
  fileName?: string;
  /** Poll interval while waiting for the drive to go. Default 50 ms. */
  pollMs?: number;
}

/** Chunk size of drive writes: 64 UF2 blocks. */
const CHUNK = 32 * 1024;

/**
 * Copies a UF2 file onto a mounted BOOTSEL drive and waits until the board has taken it: the file
 * is written in chunks, fsynced (so the blocks reach the device, not the page cache), closed, and
 * then the drive must vanish, which the bootrom does by rebooting once every block has arrived.
 * Rejects `FLASH_FAILED` when the write fails, `TIMEOUT` when the drive is still there after
 * `vanishTimeoutMs` (a UF2 the bootrom ignored: wrong family or address), `ABORTED`.
 */
export async function copyUf2ToDrive(
  mountPoint: string,
  uf2: Uint8Array,
  options: DriveCopyOptions = {},
): Promise<void> {
  throwIfAborted(options.signal, PKG);
  const target = path.join(mountPoint, options.fileName ?? "FIRMWARE.UF2");
  try {
    const handle = await open(target, "w");
    try {
      for (let at = 0; at < uf2.length; at += CHUNK) {
        throwIfAborted(options.signal, PKG);
        const chunk = uf2.subarray(at, Math.min(at + CHUNK, uf2.length));
        await handle.write(chunk, 0, chunk.length, at);
        options.onProgress?.(at + chunk.length, uf2.length);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === ErrorCodes.ABORTED) throw error;
    throw picoError(ErrorCodes.FLASH_FAILED, `Writing ${target} failed: ${(error as Error).message}`, {
      cause: error,
      details: { mountPoint },
    });
  }
  const limit = options.vanishTimeoutMs ?? 15_000;
  const until = performance.now() + limit;
  const info = path.join(mountPoint, "INFO_UF2.TXT");
  for (;;) {
    try {
      await access(info);
    } catch {
      return;
    }
    if (performance.now() > until) {
      throw picoError(
        ErrorCodes.TIMEOUT,
        `The BOOTSEL drive ${mountPoint} was still there ${limit} ms after the copy: the bootrom did not take the UF2 (family or addresses not for this chip?)`,
        { details: { mountPoint, timeoutMs: limit } },
      );
    }
    await sleep(options.pollMs ?? 50, options.signal);
  }
}
