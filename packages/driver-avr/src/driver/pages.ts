import type { BinaryRegion } from "./image";

/** Part of a region that falls into one page. */
export interface PagePart {
  region: string;
  /** Offset of the part inside the page. */
  at: number;
  data: Uint8Array;
}

/** One flash page to program and the region bytes that go into it. */
export interface PagePlan {
  address: number;
  parts: PagePart[];
  /** Bytes of the page the plan sets; fewer than the page size means the rest must be read first. */
  covered: number;
}

/**
 * Splits regions into whole pages in address order. PROG_PAGE erases and rewrites a full page, so
 * a page the plan covers only in part is read back and merged (as avrdude does), and a page two
 * regions share is written once.
 */
export function planPages(regions: readonly BinaryRegion[], pageSize: number): PagePlan[] {
  const pages = new Map<number, PagePlan>();
  for (const region of regions) {
    let at = region.offset;
    const end = region.offset + region.data.length;
    while (at < end) {
      const address = at - (at % pageSize);
      const stop = Math.min(end, address + pageSize);
      let page = pages.get(address);
      if (!page) {
        page = { address, parts: [], covered: 0 };
        pages.set(address, page);
      }
      page.parts.push({
        region: region.name,
        at: at - address,
        data: region.data.subarray(at - region.offset, stop - region.offset),
      });
      page.covered += stop - at;
      at = stop;
    }
  }
  return [...pages.values()].sort((a, b) => a.address - b.address);
}

/** Builds the page's bytes: `base` (current contents, or erased) with the plan's parts on top. */
export function pageImage(page: PagePlan, pageSize: number, base?: Uint8Array): Uint8Array {
  const out = base ? Uint8Array.from(base) : new Uint8Array(pageSize).fill(0xff);
  for (const part of page.parts) out.set(part.data, part.at);
  return out;
}
