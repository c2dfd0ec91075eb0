import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { deflate } from "node:zlib";
import { createError, ErrorCodes, type FlashPlan, type FlashRegion } from "@factory/core";
import { PKG } from "../errors";
import { FLASH_WRITE_SIZE } from "../loader/loader";
import type { ChipInfo } from "../protocol/chips";
import { encodeDataBlock, Op } from "../protocol/commands";
import { slipEncode } from "../protocol/slip";

const deflateAsync = promisify(deflate);

/** A region ready for the wire: padded, compressed once per batch, with its MD5. */
export interface PreparedRegion {
  region: FlashRegion;
  /** The image padded to a multiple of 4 with 0xFF (what ends up in flash). */
  padded: Uint8Array;
  deflated: Uint8Array;
  md5: string;
  /** The FLASH_DEFL_DATA packets, SLIP-framed, ready for the wire (built once per batch). */
  packets: Uint8Array[];
}

const CACHE_KEY = "esp:deflate9:0x4000";
const SECTOR = 0x1000;
const APP_NAMES = /^(app|factory|ota[_-]?\d*|firmware)$/i;

/** Process-wide fallback cache for regions that carry no `cache` map, keyed by the data buffer. */
const fallback = new WeakMap<Uint8Array, Promise<Omit<PreparedRegion, "region">>>();

/**
 * Pads, deflates (zlib level 9, on libuv's thread pool so it overlaps with the serial work) and
 * hashes a region, once per batch: the result is kept in `region.cache` (shared by every device
 * of the batch) or, without one, in a process-wide weak cache, in both cases keyed by the image buffer.
 */
export function prepareRegion(region: FlashRegion): Promise<PreparedRegion> {
  // Entries are keyed by the image buffer itself, also inside `region.cache`: a cache map that an
  // integrator shares between regions (or between plans) can never hand one region another
  // region's compressed image.
  const shared = regionCache(region.cache);
  let work = shared.get(region.data);
  if (!work) {
    work = (async () => {
      const padded = padTo4(region.data);
      const deflated = new Uint8Array(await deflateAsync(padded, { level: 9 }));
      const md5 = createHash("md5").update(padded).digest("hex");
      const packets: Uint8Array[] = [];
      for (let seq = 0; seq * FLASH_WRITE_SIZE < deflated.length; seq++) {
        const block = deflated.subarray(seq * FLASH_WRITE_SIZE, (seq + 1) * FLASH_WRITE_SIZE);
        packets.push(slipEncode(encodeDataBlock(Op.FLASH_DEFL_DATA, seq, block)));
      }
      return { padded, deflated, md5, packets };
    })();
    shared.set(region.data, work);
  }
  return work.then((w) => ({ region, ...w }));
}

type Prepared = Promise<Omit<PreparedRegion, "region">>;

/** The per-buffer table inside a region's cache map, or the process-wide fallback. */
function regionCache(cache: Map<string, unknown> | undefined): WeakMap<Uint8Array, Prepared> {
  if (!cache) return fallback;
  let table = cache.get(CACHE_KEY);
  if (!(table instanceof WeakMap)) {
    table = new WeakMap<Uint8Array, Prepared>();
    cache.set(CACHE_KEY, table);
  }
  return table as WeakMap<Uint8Array, Prepared>;
}

function padTo4(data: Uint8Array): Uint8Array {
  if (data.length % 4 === 0) return data;
  const out = new Uint8Array(Math.ceil(data.length / 4) * 4).fill(0xff);
  out.set(data);
  return out;
}

function planError(message: string, details: Record<string, unknown>): Error {
  return createError(PKG, ErrorCodes.PLAN_INVALID, message, { details, retryable: false });
}

/**
 * Checks a plan before anything is sent: names, sector-aligned offsets, no overlap (after the
 * stub rounds each region up to whole 4 KiB sectors), inside the flash when its size is known.
 */
export function validatePlan(plan: FlashPlan, flashSize?: number): void {
  if (!plan || !Array.isArray(plan.regions) || plan.regions.length === 0) {
    throw planError("The flash plan has no regions", {});
  }
  const sorted = [...plan.regions].sort((a, b) => a.offset - b.offset);
  for (const r of sorted) {
    if (!r.name) throw planError("A flash region has no name", { offset: r.offset });
    if (!(r.data instanceof Uint8Array) || r.data.length === 0) {
      throw planError(`Region "${r.name}" has no data`, { region: r.name });
    }
    if (!Number.isInteger(r.offset) || r.offset < 0 || r.offset % SECTOR !== 0) {
      throw planError(
        `Region "${r.name}" starts at 0x${r.offset.toString(16)}, which is not a multiple of 4 KiB`,
        {
          region: r.name,
          offset: r.offset,
        },
      );
    }
    if (flashSize !== undefined && r.offset + r.data.length > flashSize) {
      throw planError(
        `Region "${r.name}" (0x${r.offset.toString(16)} + ${r.data.length} bytes) does not fit in ${flashSize / 1024} KiB of flash`,
        { region: r.name, offset: r.offset, size: r.data.length, flashSize },
      );
    }
  }
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const aEnd = Math.ceil((a.offset + a.data.length) / SECTOR) * SECTOR;
    if (aEnd > b.offset) {
      throw planError(`Regions "${a.name}" and "${b.name}" overlap`, {
        regions: [a.name, b.name],
        offsets: [a.offset, b.offset],
      });
    }
  }
}

/**
 * Checks that regions that must be ESP images are: the bootloader (at the chip's bootloader
 * offset or named `bootloader`) and app regions (`app`, `factory`, `ota_N`, `firmware`) start
 * with magic 0xE9, and on chips with an extended header the image's chip id is this chip's.
 * The partition table must start with AA 50. Rejects `IMAGE_INVALID`.
 */
export function validateImages(plan: FlashPlan, chip: ChipInfo): void {
  for (const r of plan.regions) {
    const isBoot = r.name === "bootloader" || r.offset === chip.bootloaderOffset;
    const isApp = APP_NAMES.test(r.name);
    if (r.name === "partition-table" || r.name === "partitions") {
      if (r.data[0] !== 0xaa || r.data[1] !== 0x50) {
        throw imageError(r, "is not an ESP partition table (it does not start with AA 50)");
      }
      continue;
    }
    if (!isBoot && !isApp) continue;
    if (r.data[0] !== 0xe9) {
      throw imageError(
        r,
        `is not an ESP firmware image (first byte 0x${(r.data[0] ?? 0).toString(16)}, expected 0xe9)`,
      );
    }
    if (chip.imageChipId !== undefined && r.data.length >= 16) {
      const id = (r.data[12] ?? 0) | ((r.data[13] ?? 0) << 8);
      if (id !== chip.imageChipId) {
        throw imageError(
          r,
          `was built for chip id ${id}, but the board is an ${chip.name} (chip id ${chip.imageChipId})`,
          {
            imageChipId: id,
            chipId: chip.imageChipId,
          },
        );
      }
    }
  }
}

function imageError(r: FlashRegion, what: string, extra: Record<string, unknown> = {}): Error {
  return createError(PKG, ErrorCodes.IMAGE_INVALID, `Region "${r.name}" ${what}`, {
    details: { region: r.name, offset: r.offset, ...extra },
    retryable: false,
  });
}
