import { ErrorCodes } from "@factory/core";
import { stm32Error } from "../errors";
import type { FlashLayout, FlashSector } from "../identity/flash-layout";

/** A run of equal sectors in a DfuSe memory description. */
export interface DfuSegment {
  start: number;
  count: number;
  sectorSize: number;
  readable: boolean;
  erasable: boolean;
  writable: boolean;
}

/** One alternate setting's memory, parsed from its interface string. */
export interface DfuMemory {
  /** Name before the first `/`, trimmed: `Internal Flash`. */
  name: string;
  segments: DfuSegment[];
}

const UNITS: Record<string, number> = { B: 1, K: 1024, M: 1024 * 1024, " ": 1 };
const ENTRY = /^(\d+)\*(\d+)([BKM ]?)([a-g])$/;

/**
 * Parses a DfuSe alternate-setting string such as
 * `@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg`. Several `/0x<start>/<entries>` blocks
 * may follow one another. Rejects anything else with `PROTOCOL_ERROR` (the device sent it).
 *
 * @example
 * parseDfuMemoryLayout("@Option Bytes  /0x1FFFC000/01*016 g").segments[0]!.sectorSize // 16
 */
export function parseDfuMemoryLayout(text: string): DfuMemory {
  const fail = (why: string): never => {
    throw stm32Error(ErrorCodes.PROTOCOL_ERROR, `The DFU memory description "${text}" is not valid: ${why}`, {
      details: { layout: text },
    });
  };
  if (!text.startsWith("@")) fail("it does not start with @");
  const parts = text.slice(1).split("/");
  const name = (parts[0] ?? "").trim();
  if (parts.length < 3 || (parts.length - 1) % 2 !== 0) fail("expected /0x<start>/<sectors> blocks");
  const segments: DfuSegment[] = [];
  for (let i = 1; i < parts.length; i += 2) {
    const startText = parts[i]!.trim();
    if (!/^0x[0-9a-f]+$/i.test(startText)) fail(`"${startText}" is not a hex start address`);
    let start = Number.parseInt(startText.slice(2), 16);
    for (const raw of parts[i + 1]!.split(",")) {
      const entry = raw.replace(/^\s+/, "");
      const match = ENTRY.exec(entry);
      if (!match) fail(`"${raw}" is not <count>*<size><unit><type>`);
      const [, countText, sizeText, unit, type] = match!;
      const count = Number.parseInt(countText!, 10);
      const sectorSize = Number.parseInt(sizeText!, 10) * (UNITS[unit || " "] ?? 1);
      if (count === 0 || sectorSize === 0) fail(`"${raw}" describes no memory`);
      const bits = type!.charCodeAt(0) & 0x07;
      segments.push({
        start,
        count,
        sectorSize,
        readable: (bits & 1) !== 0,
        erasable: (bits & 2) !== 0,
        writable: (bits & 4) !== 0,
      });
      start += count * sectorSize;
    }
  }
  return { name, segments };
}

/** Formats a memory description back into the DfuSe string form (used by the simulator). */
export function formatDfuMemoryLayout(memory: DfuMemory): string {
  const blocks: string[] = [];
  let expected = -1;
  let entries: string[] = [];
  let blockStart = 0;
  const flush = (): void => {
    if (entries.length)
      blocks.push(`/0x${blockStart.toString(16).toUpperCase().padStart(8, "0")}/${entries.join(",")}`);
    entries = [];
  };
  for (const s of memory.segments) {
    if (s.start !== expected) {
      flush();
      blockStart = s.start;
    }
    const type = String.fromCharCode(
      0x60 + ((s.readable ? 1 : 0) | (s.erasable ? 2 : 0) | (s.writable ? 4 : 0)),
    );
    const [size, unit] =
      s.sectorSize % (1024 * 1024) === 0
        ? [s.sectorSize / (1024 * 1024), "M"]
        : s.sectorSize % 1024 === 0
          ? [s.sectorSize / 1024, "K"]
          : [s.sectorSize, " "];
    entries.push(`${String(s.count).padStart(2, "0")}*${String(size).padStart(3, "0")}${unit}${type}`);
    expected = s.start + s.count * s.sectorSize;
  }
  flush();
  return `@${memory.name}${blocks.join("")}`;
}

/** The erasable sectors of a memory as a flash layout (sector numbers count from 0). */
export function dfuMemoryToLayout(memory: DfuMemory): FlashLayout {
  const sectors: FlashSector[] = [];
  for (const s of memory.segments) {
    for (let i = 0; i < s.count; i++) {
      sectors.push({ index: sectors.length, start: s.start + i * s.sectorSize, size: s.sectorSize });
    }
  }
  const first = sectors[0];
  const last = sectors.at(-1);
  const base = first?.start ?? 0;
  return { base, size: last ? last.start + last.size - base : 0, sectors };
}

/** The segment holding `address`, if any. */
export function segmentAt(memory: DfuMemory, address: number): DfuSegment | undefined {
  return memory.segments.find((s) => address >= s.start && address < s.start + s.count * s.sectorSize);
}
