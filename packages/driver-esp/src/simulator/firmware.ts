import { createHash } from "node:crypto";
import { CHIPS, type EspFamily } from "../protocol/chips";
import { prng } from "./clock";

export interface FirmwareImageOptions {
  /** Total bytes. */
  size: number;
  chip?: EspFamily;
  seed?: number;
  /**
   * Share of the body drawn from a small repeated vocabulary (instruction-like, compresses well)
   * versus random bytes (constant data, compresses not at all). Default 0.6, which deflates a
   * 1 MB image to about 60 % like typical ESP-IDF applications.
   */
  redundancy?: number;
}

/**
 * A synthetic ESP application image for tests and the bench: a valid image header (magic 0xE9,
 * chip id in the extended header) followed by a body with firmware-like compressibility.
 */
export function makeFirmwareImage(options: FirmwareImageOptions): Uint8Array {
  const chip = CHIPS[options.chip ?? "esp32"];
  const rnd = prng(options.seed ?? 42);
  const out = new Uint8Array(options.size);
  const redundancy = options.redundancy ?? 0.6;
  const vocab: Uint8Array[] = [];
  for (let i = 0; i < 512; i++) {
    const w = new Uint8Array(3 + Math.floor(rnd() * 6));
    for (let j = 0; j < w.length; j++) w[j] = Math.floor(rnd() * 256);
    vocab.push(w);
  }
  let i = 0;
  while (i < out.length) {
    if (rnd() < redundancy) {
      // Zipf-like choice: low indices much more frequent.
      const idx = Math.floor(vocab.length * rnd() ** 3);
      const w = vocab[idx]!;
      out.set(w.subarray(0, Math.min(w.length, out.length - i)), i);
      i += w.length;
    } else {
      const n = 1 + Math.floor(rnd() * 6);
      for (let k = 0; k < n && i < out.length; k++) out[i++] = Math.floor(rnd() * 256);
    }
  }
  if (out.length >= 24) {
    out[0] = 0xe9;
    out[1] = 3; // segments
    out[2] = 2; // DIO
    out[3] = 0x20; // 4MB, 40MHz
    out.set([0x18, 0x06, 0x08, 0x40], 4); // entry 0x40080618
    if (chip.imageChipId !== undefined) {
      out.fill(0, 8, 24);
      out[8] = 0xee;
      out[12] = chip.imageChipId & 0xff;
      out[13] = (chip.imageChipId >> 8) & 0xff;
    }
  }
  return out;
}

/** A partition table (nvs, phy_init, factory app) with its MD5 entry, padded to 3 KiB with 0xFF. */
export function makePartitionTable(appSize = 0x100000): Uint8Array {
  const out = new Uint8Array(0xc00).fill(0xff);
  const entries: [number, number, number, number, string][] = [
    [1, 0x02, 0x9000, 0x6000, "nvs"],
    [1, 0x01, 0xf000, 0x1000, "phy_init"],
    [0, 0x00, 0x10000, appSize, "factory"],
  ];
  const view = new DataView(out.buffer);
  entries.forEach(([type, subtype, offset, size, name], i) => {
    const at = i * 32;
    out[at] = 0xaa;
    out[at + 1] = 0x50;
    out[at + 2] = type;
    out[at + 3] = subtype;
    view.setUint32(at + 4, offset, true);
    view.setUint32(at + 8, size, true);
    out.fill(0, at + 12, at + 28);
    out.set(new TextEncoder().encode(name), at + 12);
    view.setUint32(at + 28, 0, true);
  });
  const md5At = entries.length * 32;
  out[md5At] = 0xeb;
  out[md5At + 1] = 0xeb;
  out.set(createHash("md5").update(out.subarray(0, md5At)).digest(), md5At + 16);
  return out;
}
