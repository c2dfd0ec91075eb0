/** One erasable unit of flash: a page (F0/F1/F3/G/L) or a sector (F2/F4/F7/H7). */
export interface FlashSector {
  /** The number the bootloader's erase commands take (page or sector number). */
  index: number;
  /** Absolute start address. */
  start: number;
  size: number;
}

/** The erasable units of a flash bank, in address order, without holes. */
export interface FlashLayout {
  base: number;
  size: number;
  sectors: readonly FlashSector[];
}

/** Builds a layout from consecutive sector sizes starting at `base`. */
export function layoutFromSizes(base: number, sizes: readonly number[]): FlashLayout {
  const sectors: FlashSector[] = [];
  let start = base;
  sizes.forEach((size, index) => {
    sectors.push({ index, start, size });
    start += size;
  });
  return { base, size: start - base, sectors };
}

/** `count` pages of `pageSize` bytes. */
export function uniformLayout(base: number, pageSize: number, size: number): FlashLayout {
  const count = Math.floor(size / pageSize);
  return layoutFromSizes(
    base,
    Array.from({ length: count }, () => pageSize),
  );
}

/** The same layout cut to the first `size` bytes (parts with less flash than the family's largest). */
export function truncateLayout(layout: FlashLayout, size: number): FlashLayout {
  const sectors = layout.sectors.filter((s) => s.start - layout.base < size);
  const end = sectors.at(-1);
  return { base: layout.base, size: end ? end.start + end.size - layout.base : 0, sectors };
}

/** True when [start, start + length) lies inside the layout. */
export function layoutContains(layout: FlashLayout, start: number, length: number): boolean {
  return start >= layout.base && start + length <= layout.base + layout.size && length >= 0;
}

/** The sectors [start, start + length) touches, in order. */
export function sectorsTouching(layout: FlashLayout, start: number, length: number): FlashSector[] {
  const end = start + length;
  return layout.sectors.filter((s) => s.start < end && s.start + s.size > start);
}

/** The sector holding `address`, if any. */
export function sectorAt(layout: FlashLayout, address: number): FlashSector | undefined {
  return layout.sectors.find((s) => address >= s.start && address < s.start + s.size);
}
