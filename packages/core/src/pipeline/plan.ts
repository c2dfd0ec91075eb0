import type { FlashPlan } from "../contracts/board-driver";
import { createError, ErrorCodes } from "../errors";

/**
 * Checks a plan before any byte is sent: at least one region, no empty or negative region, no
 * two regions overlapping, every region inside `flashSize` (when known) and at or above `base`.
 * Throws `PLAN_INVALID` naming the regions at fault. Drivers call this at the start of `flash`.
 */
export function validateFlashPlan(
  plan: FlashPlan,
  limits: { flashSize?: number | undefined; base?: number; alignment?: number; pkg?: string } = {},
): void {
  const pkg = limits.pkg ?? "core";
  const base = limits.base ?? 0;
  const fail = (message: string, details: Record<string, unknown>): never => {
    throw createError(pkg, ErrorCodes.PLAN_INVALID, message, { details, retryable: false });
  };
  if (plan.regions.length === 0) fail("The flash plan has no regions", {});
  const names = new Set<string>();
  for (const region of plan.regions) {
    if (names.has(region.name)) fail(`Two regions are named "${region.name}"`, { region: region.name });
    names.add(region.name);
    if (!Number.isInteger(region.offset) || region.offset < base) {
      fail(`Region ${region.name} starts at ${hex(region.offset)}, below the flash start ${hex(base)}`, {
        region: region.name,
        offset: region.offset,
      });
    }
    if (region.data.length === 0) fail(`Region ${region.name} is empty`, { region: region.name });
    if (limits.alignment && region.offset % limits.alignment !== 0) {
      fail(`Region ${region.name} at ${hex(region.offset)} is not aligned to ${limits.alignment} bytes`, {
        region: region.name,
        alignment: limits.alignment,
      });
    }
    const end = region.offset + region.data.length;
    if (limits.flashSize !== undefined && end > base + limits.flashSize) {
      fail(
        `Region ${region.name} (${hex(region.offset)}–${hex(end)}) ends beyond the ${limits.flashSize}-byte flash`,
        { region: region.name, offset: region.offset, size: region.data.length, flashSize: limits.flashSize },
      );
    }
  }
  const sorted = [...plan.regions].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i += 1) {
    const prev = sorted[i - 1]!;
    const next = sorted[i]!;
    if (prev.offset + prev.data.length > next.offset) {
      fail(
        `Regions ${prev.name} (${hex(prev.offset)}–${hex(prev.offset + prev.data.length)}) and ${next.name} (from ${hex(next.offset)}) overlap`,
        { regions: [prev.name, next.name] },
      );
    }
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
