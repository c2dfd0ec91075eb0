import { readFileSync } from "node:fs";
import path from "node:path";
import { FAMILIES } from "../../families";
import type { SimPico } from "../device";
import { SECTOR_SIZE } from "../flash";
import { ArgsError, type ParsedArgs, parseNumber } from "./args";
import { Failure, FLASH_BASE, RC } from "./failure";

export interface Image {
  /** Absolute address → bytes, in 256-byte-aligned runs. */
  runs: { address: number; data: Uint8Array }[];
}

export function readImage(args: ParsedArgs, cwd: string, board: SimPico): Image {
  const file = args.positional[0];
  if (!file) throw new ArgsError("Missing filename");
  let bytes: Buffer;
  try {
    bytes = readFileSync(path.resolve(cwd, file));
  } catch {
    throw new Failure(RC.ARGS, `Could not open file '${file}'`);
  }
  const type = args.options.get("-t") ?? path.extname(file).slice(1).toLowerCase();
  if (type === "bin") {
    const address = parseNumber(args.options.get("-o") ?? "0x10000000", "offset");
    return { runs: [{ address, data: bytes }] };
  }
  if (type === "uf2") return readUf2File(bytes, board);
  throw new Failure(
    RC.ARGS,
    `File type '${type}' is not handled by this picotool test double (bin and uf2 only)`,
  );
}

function readUf2File(bytes: Buffer, board: SimPico): Image {
  if (bytes.length % 512 !== 0) throw new Failure(RC.FORMAT, "Unexpected end of UF2 file");
  const accepted = FAMILIES[board.family].acceptedFamilyIds;
  const runs: Image["runs"] = [];
  const others = new Set<number>();
  for (let at = 0; at < bytes.length; at += 512) {
    const b = bytes.subarray(at, at + 512);
    if (
      b.readUInt32LE(0) !== 0x0a324655 ||
      b.readUInt32LE(4) !== 0x9e5d5157 ||
      b.readUInt32LE(508) !== 0x0ab16f30
    ) {
      throw new Failure(RC.FORMAT, "Invalid UF2 block magic");
    }
    const flags = b.readUInt32LE(8);
    const family = b.readUInt32LE(28);
    if (flags & 1) continue;
    if ((flags & 0x8000) !== 0 && b.readUInt32LE(12) === 0x10ffff00) continue;
    if (!(flags & 0x2000) || !accepted.includes(family)) {
      others.add(family);
      continue;
    }
    if (b.readUInt32LE(16) !== 256) throw new Failure(RC.FORMAT, "Unsupported UF2 block size");
    runs.push({ address: b.readUInt32LE(12), data: b.subarray(32, 32 + 256) });
  }
  if (runs.length === 0) {
    const ids = [...others].map((f) => `0x${f.toString(16)}`).join(", ");
    throw new Failure(
      RC.INCOMPATIBLE,
      `The input file has family ID ${ids}, which cannot be downloaded to an ${board.chip}`,
    );
  }
  return { runs };
}

/** Sector images as picotool builds them: file bytes over zeros, one buffer per 4 KB sector. */
export function sectorsOf(
  image: Image,
  board: SimPico,
): Map<number, { data: Uint8Array; used: [number, number][] }> {
  const sectors = new Map<number, { data: Uint8Array; used: [number, number][] }>();
  for (const run of image.runs) {
    const start = run.address - FLASH_BASE;
    const end = start + run.data.length;
    if (run.address < FLASH_BASE || end > board.flash.size) {
      throw new Failure(
        RC.FORMAT,
        `File to load contained an invalid memory range 0x${run.address.toString(16)}-0x${(run.address + run.data.length).toString(16)}`,
      );
    }
    for (let at = start; at < end; ) {
      const sector = at - (at % SECTOR_SIZE);
      const take = Math.min(end, sector + SECTOR_SIZE) - at;
      const entry = sectors.get(sector) ?? { data: new Uint8Array(SECTOR_SIZE), used: [] };
      entry.data.set(run.data.subarray(at - start, at - start + take), at - sector);
      entry.used.push([at - sector, at - sector + take]);
      sectors.set(sector, entry);
      at += take;
    }
  }
  return new Map([...sectors.entries()].sort((a, b) => a[0] - b[0]));
}
