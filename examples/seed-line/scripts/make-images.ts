/**
 * Writes the small ESP32 images the seed config points at (../dist/esp32/): a second-stage
 * bootloader and an app in the ESP image format (magic 0xE9, extended header, segments,
 * XOR checksum, appended SHA-256) and a partition table (0xAA50 entries + MD5 entry). The code
 * inside is filler, not a working program; the containers are well formed, so tools that parse
 * them (esptool image_info, gen_esp32part) read them. Run: pnpm tsx scripts/make-images.ts
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/esp32");

/** Deterministic filler so the files are identical on every run. */
function filler(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

interface Segment {
  loadAddress: number;
  data: Uint8Array;
}

/** An ESP32 image: 8-byte header, 16-byte extended header, segments, checksum, SHA-256. */
function espImage(entry: number, segments: Segment[]): Buffer {
  const header = Buffer.alloc(24);
  header[0] = 0xe9; // magic
  header[1] = segments.length;
  header[2] = 0x02; // SPI mode DIO
  header[3] = 0x20; // flash size 4MB (high nibble 2), 40 MHz (low nibble 0)
  header.writeUInt32LE(entry, 4);
  header[8] = 0xee; // WP pin: not used
  // spi_pin_drv[3] = 0; chip_id 0x0000 = ESP32; min_chip_rev 0
  header.writeUInt16LE(0, 9 + 3); // chip id (bytes 12-13)
  header.writeUInt16LE(0, 15); // min_chip_rev_full
  header.writeUInt16LE(399, 17); // max_chip_rev_full (v3.99)
  header[23] = 1; // hash appended
  const parts: Buffer[] = [header];
  let checksum = 0xef;
  for (const segment of segments) {
    if (segment.data.length % 4 !== 0) throw new Error("segment length must be a multiple of 4");
    const head = Buffer.alloc(8);
    head.writeUInt32LE(segment.loadAddress, 0);
    head.writeUInt32LE(segment.data.length, 4);
    parts.push(head, Buffer.from(segment.data));
    for (const byte of segment.data) checksum ^= byte;
  }
  const body = Buffer.concat(parts);
  const padding = 15 - (body.length % 16);
  const tail = Buffer.alloc(padding + 1);
  tail[padding] = checksum;
  const image = Buffer.concat([body, tail]);
  return Buffer.concat([image, createHash("sha256").update(image).digest()]);
}

/** esp_app_desc_t, the 256-byte descriptor ESP-IDF puts at the start of the first DROM segment. */
function appDescriptor(): Uint8Array {
  const desc = Buffer.alloc(256);
  desc.writeUInt32LE(0xabcd5432, 0); // magic word
  desc.writeUInt32LE(0, 4); // secure_version
  desc.write("1.0.0", 16, 32, "ascii"); // version
  desc.write("seed-line", 48, 32, "ascii"); // project_name
  desc.write("00:00:00", 80, 16, "ascii"); // time
  desc.write("Jan  1 2026", 96, 16, "ascii"); // date
  desc.write("v5.3", 112, 32, "ascii"); // idf_ver
  desc.set(filler(32, 7), 144); // app_elf_sha256
  return desc;
}

interface Partition {
  label: string;
  type: number;
  subtype: number;
  offset: number;
  size: number;
}

/** A partition table: 32-byte entries, then the MD5 entry, padded with 0xFF to 0xC00 bytes. */
function partitionTable(partitions: Partition[]): Buffer {
  const entries = partitions.map((p) => {
    const entry = Buffer.alloc(32);
    entry[0] = 0xaa;
    entry[1] = 0x50;
    entry[2] = p.type;
    entry[3] = p.subtype;
    entry.writeUInt32LE(p.offset, 4);
    entry.writeUInt32LE(p.size, 8);
    entry.write(p.label, 12, 16, "ascii");
    return entry;
  });
  const table = Buffer.concat(entries);
  const md5 = Buffer.alloc(32, 0xff);
  md5[0] = 0xeb;
  md5[1] = 0xeb;
  createHash("md5").update(table).digest().copy(md5, 16);
  const out = Buffer.alloc(0xc00, 0xff);
  Buffer.concat([table, md5]).copy(out);
  return out;
}

mkdirSync(out, { recursive: true });

const bootloader = espImage(0x40080400, [
  { loadAddress: 0x3fff0030, data: filler(0x400, 1) },
  { loadAddress: 0x40078000, data: filler(0x800, 2) },
  { loadAddress: 0x40080400, data: filler(0x300, 3) },
]);

const drom = new Uint8Array(0x1000);
drom.set(appDescriptor());
drom.set(filler(0x1000 - 256, 4), 256);
const app = espImage(0x40081000, [
  { loadAddress: 0x3f400020, data: drom },
  { loadAddress: 0x3ffb0000, data: filler(0x200, 5) },
  { loadAddress: 0x40080000, data: filler(0x1800, 6) },
  { loadAddress: 0x400d0020, data: filler(0x2000, 8) },
]);

const partitions = partitionTable([
  { label: "nvs", type: 0x01, subtype: 0x02, offset: 0x9000, size: 0x6000 },
  { label: "phy_init", type: 0x01, subtype: 0x01, offset: 0xf000, size: 0x1000 },
  { label: "factory", type: 0x00, subtype: 0x00, offset: 0x10000, size: 0x100000 },
]);

writeFileSync(path.join(out, "bootloader.bin"), bootloader);
writeFileSync(path.join(out, "firmware-latest.bin"), app);
writeFileSync(path.join(out, "partitions.bin"), partitions);
process.stdout.write(
  `wrote ${out}: bootloader.bin ${bootloader.length} B, firmware-latest.bin ${app.length} B, partitions.bin ${partitions.length} B\n`,
);
