import { type FlashLayout, layoutFromSizes, truncateLayout, uniformLayout } from "./flash-layout";

const FLASH_BASE = 0x0800_0000;
const K = 1024;

/** Where the 96-bit unique ID sits: three little-endian words at these addresses. */
export interface UidLocation {
  base: number;
  /** Offsets of the three words from `base` (contiguous on most parts, not on L0/L1). */
  wordOffsets: readonly [number, number, number];
}

/** What the driver knows about one product ID (Get ID / DBGMCU_IDCODE[11:0]). */
export interface Stm32Part {
  pid: number;
  /** Series: `F1`, `F4`, `G0`… */
  series: string;
  /** Part group as printed for operators: `STM32F40x/41x`. */
  name: string;
  /** Largest flash of the group; the flash-size register narrows it per part. */
  maxFlash: number;
  /** Erase granularity: a uniform page size, or the sector sizes of the largest part. */
  erase: { pageSize: number } | { sectorSizes: readonly number[] };
  uid: UidLocation;
  /** Address of the 16-bit flash size in KB (the "flash size data register"). */
  flashSizeRegister: number;
}

const contiguous = (base: number): UidLocation => ({ base, wordOffsets: [0, 4, 8] });
const L0L1 = (base: number): UidLocation => ({ base, wordOffsets: [0, 4, 0x14] });

const UID_F0F3 = contiguous(0x1fff_f7ac);
const UID_F1 = contiguous(0x1fff_f7e8);
const UID_F2F4 = contiguous(0x1fff_7a10);
const UID_F7 = contiguous(0x1ff0_f420);
const UID_L4G = contiguous(0x1fff_7590);

const F4_SECTORS = [16, 16, 16, 16, 64, 128, 128, 128, 128, 128, 128, 128].map((k) => k * K);
const F4_DUAL = [...F4_SECTORS, ...F4_SECTORS];
const F7_SECTORS = [32, 32, 32, 32, 128, 256, 256, 256, 256, 256, 256, 256].map((k) => k * K);

type Row = [pid: number, series: string, name: string, maxFlashK: number, erase: Stm32Part["erase"]];

function rows(uid: UidLocation, flashSizeRegister: number, list: Row[]): Stm32Part[] {
  return list.map(([pid, series, name, maxFlashK, erase]) => ({
    pid,
    series,
    name,
    maxFlash: maxFlashK * K,
    erase,
    uid,
    flashSizeRegister,
  }));
}

const page = (bytes: number) => ({ pageSize: bytes });

/**
 * Product ID → part table (after stm32flash's device table and the reference manuals' UID and
 * flash-size register addresses). Extend it here; nothing else in the driver names a part.
 */
export const STM32_PARTS: readonly Stm32Part[] = [
  ...rows(UID_F0F3, 0x1fff_f7cc, [
    [0x440, "F0", "STM32F030x8/F05x", 64, page(K)],
    [0x444, "F0", "STM32F03xx4/6", 32, page(K)],
    [0x445, "F0", "STM32F04xxx/F070x6", 32, page(K)],
    [0x448, "F0", "STM32F070xB/F071xx/F072xx", 128, page(2 * K)],
    [0x442, "F0", "STM32F030xC/F09xxx", 256, page(2 * K)],
    [0x422, "F3", "STM32F302xB(C)/F303xB(C)/F358xx", 256, page(2 * K)],
    [0x432, "F3", "STM32F37xxx/F38xxx", 256, page(2 * K)],
    [0x438, "F3", "STM32F303x4(6/8)/F334xx/F328xx", 64, page(2 * K)],
    [0x439, "F3", "STM32F301xx/F302x4(6/8)/F318xx", 64, page(2 * K)],
    [0x446, "F3", "STM32F302xD(E)/F303xD(E)/F398xx", 512, page(2 * K)],
  ]),
  ...rows(UID_F1, 0x1fff_f7e0, [
    [0x412, "F1", "STM32F10xxx low-density", 32, page(K)],
    [0x410, "F1", "STM32F10xxx medium-density", 128, page(K)],
    [0x414, "F1", "STM32F10xxx high-density", 512, page(2 * K)],
    [0x430, "F1", "STM32F10xxx XL-density", 1024, page(2 * K)],
    [0x418, "F1", "STM32F105xx/107xx connectivity line", 256, page(2 * K)],
    [0x420, "F1", "STM32F100xx medium-density value line", 128, page(K)],
    [0x428, "F1", "STM32F100xx high-density value line", 512, page(2 * K)],
  ]),
  ...rows(UID_F2F4, 0x1fff_7a22, [
    [0x411, "F2", "STM32F2xxxx", 1024, { sectorSizes: F4_SECTORS }],
    [0x413, "F4", "STM32F40x/41x", 1024, { sectorSizes: F4_SECTORS }],
    [0x419, "F4", "STM32F42x/43x", 2048, { sectorSizes: F4_DUAL }],
    [0x423, "F4", "STM32F401xB(C)", 256, { sectorSizes: F4_SECTORS }],
    [0x433, "F4", "STM32F401xD(E)", 512, { sectorSizes: F4_SECTORS }],
    [0x431, "F4", "STM32F411xx", 512, { sectorSizes: F4_SECTORS }],
    [0x421, "F4", "STM32F446xx", 512, { sectorSizes: F4_SECTORS }],
    [0x458, "F4", "STM32F410xx", 128, { sectorSizes: F4_SECTORS }],
    [0x441, "F4", "STM32F412xx", 1024, { sectorSizes: F4_SECTORS }],
    [
      0x463,
      "F4",
      "STM32F413xx/423xx",
      1536,
      { sectorSizes: [...F4_SECTORS, 128 * K, 128 * K, 128 * K, 128 * K] },
    ],
    [0x434, "F4", "STM32F469xx/479xx", 2048, { sectorSizes: F4_DUAL }],
  ]),
  ...rows(UID_F7, 0x1ff0_f442, [
    [0x449, "F7", "STM32F74xxx/75xxx", 1024, { sectorSizes: F7_SECTORS.slice(0, 8) }],
    [0x451, "F7", "STM32F76xxx/77xxx", 2048, { sectorSizes: F7_SECTORS }],
  ]),
  ...rows(contiguous(0x1ff0_7a10), 0x1ff0_7a22, [
    [0x452, "F7", "STM32F72xxx/73xxx", 512, { sectorSizes: F4_SECTORS.slice(0, 8) }],
  ]),
  ...rows(contiguous(0x1ff1_e800), 0x1ff1_e880, [[0x450, "H7", "STM32H74xxx/75xxx", 2048, page(128 * K)]]),
  ...rows(UID_L4G, 0x1fff_75e0, [
    [0x456, "G0", "STM32G05xxx/061xx", 64, page(2 * K)],
    [0x460, "G0", "STM32G07xxx/08xxx", 128, page(2 * K)],
    [0x466, "G0", "STM32G03xxx/04xxx", 64, page(2 * K)],
    [0x467, "G0", "STM32G0B0/B1/C1", 512, page(2 * K)],
    [0x468, "G4", "STM32G431xx/441xx", 128, page(2 * K)],
    [0x469, "G4", "STM32G47xxx/48xxx", 512, page(2 * K)],
    [0x479, "G4", "STM32G491xx/4A1xx", 512, page(2 * K)],
    [0x415, "L4", "STM32L47xxx/48xxx", 1024, page(2 * K)],
    [0x435, "L4", "STM32L43xxx/44xxx", 256, page(2 * K)],
    [0x462, "L4", "STM32L45xxx/46xxx", 512, page(2 * K)],
    [0x461, "L4", "STM32L496xx/4A6xx", 1024, page(2 * K)],
  ]),
  ...rows(L0L1(0x1ff8_0050), 0x1ff8_007c, [
    [0x457, "L0", "STM32L01xxx/02xxx", 16, page(128)],
    [0x425, "L0", "STM32L031xx/041xx", 32, page(128)],
    [0x417, "L0", "STM32L05xxx/06xxx", 64, page(128)],
    [0x447, "L0", "STM32L07xxx/08xxx", 192, page(128)],
  ]),
  ...rows(L0L1(0x1ff8_0050), 0x1ff8_004c, [
    [0x416, "L1", "STM32L1xxx6(8/B) Cat.1", 128, page(256)],
    [0x429, "L1", "STM32L1xxx6(8/B)A Cat.2", 128, page(256)],
  ]),
  ...rows(L0L1(0x1ff8_00d0), 0x1ff8_00cc, [
    [0x427, "L1", "STM32L1xxxC Cat.3", 256, page(256)],
    [0x436, "L1", "STM32L1xxxD Cat.4", 384, page(256)],
    [0x437, "L1", "STM32L1xxxE Cat.5", 512, page(256)],
  ]),
];

const BY_PID = new Map(STM32_PARTS.map((p) => [p.pid, p]));

/** The part for a product ID, or undefined when the table does not know it. */
export function partForPid(pid: number): Stm32Part | undefined {
  return BY_PID.get(pid);
}

/** The flash layout of `part`, cut to `flashSize` bytes when the part's size register was read. */
export function partLayout(part: Stm32Part, flashSize?: number): FlashLayout {
  const full = truncateLayout(
    "pageSize" in part.erase
      ? uniformLayout(FLASH_BASE, part.erase.pageSize, part.maxFlash)
      : layoutFromSizes(FLASH_BASE, part.erase.sectorSizes),
    part.maxFlash,
  );
  const size = flashSize !== undefined && flashSize > 0 && flashSize <= full.size ? flashSize : full.size;
  return truncateLayout(full, size);
}

/** The addresses of the three UID words of `part`. */
export function uidWordAddresses(part: Stm32Part): [number, number, number] {
  const [a, b, c] = part.uid.wordOffsets;
  return [part.uid.base + a, part.uid.base + b, part.uid.base + c];
}

/**
 * Formats the 96-bit unique ID as 24 lower-case hex digits: word 0, 1, 2 (each as its 32-bit
 * value), the same order ST's tools print it.
 */
export function formatUid(words: readonly [number, number, number]): string {
  return words.map((w) => (w >>> 0).toString(16).padStart(8, "0")).join("");
}

/** The flash base every STM32 bootloader maps user flash to. */
export const STM32_FLASH_BASE = FLASH_BASE;

/**
 * Parts whose flash layout (base, size and erase units) equals `layout`: how a DFU device, which
 * has no Get ID command, is matched to the table.
 */
export function partsForLayout(layout: FlashLayout): Stm32Part[] {
  return STM32_PARTS.filter((part) => {
    if (layout.size > part.maxFlash || layout.base !== FLASH_BASE) return false;
    const candidate = partLayout(part, layout.size);
    return (
      candidate.size === layout.size &&
      candidate.sectors.length === layout.sectors.length &&
      candidate.sectors.every((s, i) => s.size === layout.sectors[i]!.size)
    );
  });
}
