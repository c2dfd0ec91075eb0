import { createHash } from "node:crypto";
import { ErrorCodes, type FlashPlan, type FlashRegion, validateFlashPlan } from "@factory/core";
import { PKG, picoError } from "../errors";
import { FAMILIES, type PicoFamily } from "../families";
import { looksLikeUf2 } from "../uf2/block";
import { readUf2 } from "../uf2/reader";

/** Flash is erased in 4 KB sectors, and picotool zero-fills the rest of a partly written sector. */
export const SECTOR_ALIGNMENT = 4096;

/** A region ready to write: flat bytes at an absolute address. */
export interface PreparedRegion {
  region: FlashRegion;
  address: number;
  bytes: Uint8Array;
}

/**
 * Checks a plan for a board and turns each region into flat bytes: a UF2 region is validated
 * against the board's family and flash (`UF2_WRONG_FAMILY`, `IMAGE_INVALID`, `IMAGE_TOO_LARGE`) and
 * must start where the region says; regions must be 4 KB aligned and inside the flash
 * (`PLAN_INVALID`). Nothing is written before this passes.
 */
export function prepareRegions(
  plan: FlashPlan,
  family: PicoFamily,
  flashSize: number | undefined,
): PreparedRegion[] {
  const info = FAMILIES[family];
  const size = flashSize ?? info.maxFlashSize;
  const prepared = plan.regions.map((region) => {
    if (!looksLikeUf2(region.data))
      return { region, address: info.flashBase + region.offset, bytes: region.data };
    const image = readUf2(region.data, { family, flashSize: size });
    if (image.target !== "flash") {
      throw picoError(
        ErrorCodes.IMAGE_INVALID,
        `Region ${region.name} is a RAM image; only flash images can be written`,
        {
          retryable: false,
        },
      );
    }
    if (image.start !== info.flashBase + region.offset) {
      throw picoError(
        ErrorCodes.PLAN_INVALID,
        `Region ${region.name} is a UF2 for 0x${image.start.toString(16)}, but the plan puts it at offset 0x${region.offset.toString(16)}`,
        { retryable: false, details: { region: region.name } },
      );
    }
    return { region, address: image.start, bytes: image.flat };
  });
  validateFlashPlan(
    { regions: prepared.map((p) => ({ ...p.region, data: p.bytes })) },
    { flashSize: size, base: 0, alignment: SECTOR_ALIGNMENT, pkg: PKG },
  );
  return prepared;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
