import type { FlashPlan } from "@factory/core";
import { ErrorCodes } from "@factory/core";
import { hex, stm32Error } from "../errors";
import { type FlashLayout, layoutContains } from "../identity/flash-layout";

/**
 * Checks a plan against the part's flash before anything is sent: every region non-empty, inside
 * the flash, not overlapping another. A region bigger than the whole flash is `IMAGE_TOO_LARGE`;
 * every other problem is `PLAN_INVALID`. Nothing on the device changes when this throws.
 */
export function validatePlan(plan: FlashPlan, layout: FlashLayout, where: string, alignment = 1): void {
  const invalid = (message: string, details: Record<string, unknown>): never => {
    throw stm32Error(ErrorCodes.PLAN_INVALID, `${message} (${where})`, { details });
  };
  if (!Array.isArray(plan.regions) || plan.regions.length === 0) invalid("The flash plan has no regions", {});
  const names = new Set<string>();
  for (const region of plan.regions) {
    if (!(region.data instanceof Uint8Array))
      invalid(`Region "${region.name}" has no image bytes`, { region: region.name });
    if (!Number.isInteger(region.offset) || region.offset < 0) {
      invalid(`Region "${region.name}" has an invalid address ${String(region.offset)}`, {
        region: region.name,
      });
    }
    if (names.has(region.name)) invalid(`Two regions are named "${region.name}"`, { region: region.name });
    names.add(region.name);
    if (region.data.length === 0) invalid(`Region "${region.name}" is empty`, { region: region.name });
    if (region.data.length > layout.size) {
      throw stm32Error(
        ErrorCodes.IMAGE_TOO_LARGE,
        `Image "${region.name}" is ${region.data.length} bytes but the part has ${layout.size} bytes of flash (${where})`,
        { details: { region: region.name, size: region.data.length, flashSize: layout.size } },
      );
    }
    if (!layoutContains(layout, region.offset, region.data.length)) {
      invalid(
        `Region "${region.name}" (${hex(region.offset)}, ${region.data.length} bytes) lies outside the flash ${hex(layout.base)}–${hex(layout.base + layout.size)}`,
        {
          region: region.name,
          offset: region.offset,
          size: region.data.length,
          flashBase: layout.base,
          flashSize: layout.size,
        },
      );
    }
    if (region.offset % alignment !== 0) {
      invalid(
        `Region "${region.name}" starts at ${hex(region.offset)}, not on a ${alignment}-byte boundary`,
        {
          region: region.name,
          offset: region.offset,
          alignment,
        },
      );
    }
  }
  const sorted = [...plan.regions].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const next = sorted[i]!;
    if (prev.offset + prev.data.length > next.offset) {
      invalid(`Regions "${prev.name}" and "${next.name}" overlap at ${hex(next.offset)}`, {
        regions: [prev.name, next.name],
      });
    }
  }
}
