import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import { locationInSysfsPath } from "./sysfs";

/** Where Linux lists mounted file systems, and where block devices link into sysfs. */
export const DEFAULT_MOUNTS_FILE = "/proc/self/mounts";
export const DEFAULT_BLOCK_CLASS = "/sys/class/block";

/** The parsed INFO_UF2.TXT of a BOOTSEL drive. */
export interface InfoUf2 {
  /** `UF2 Bootloader v3.0` → `3.0`. */
  bootloaderVersion?: string;
  /** `Raspberry Pi RP2`, `Raspberry Pi RP2350`. */
  model?: string;
  /** `RPI-RP2`, `RP2350`. */
  boardId?: string;
}

/** A mounted BOOTSEL drive. */
export interface BootselDrive {
  mountPoint: string;
  /** The block device (`/dev/sdb1`). */
  device: string;
  info: InfoUf2;
  /** USB location of the board behind it, when sysfs tells. */
  location?: string;
}

export interface DriveSearchOptions {
  mountsFile?: string;
  blockClass?: string;
}

/** Parses INFO_UF2.TXT (`UF2 Bootloader v3.0` / `Model: …` / `Board-ID: …`). */
export function parseInfoUf2(text: string): InfoUf2 {
  const info: InfoUf2 = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const version = /^UF2 Bootloader v?(\S+)/.exec(line)?.[1];
    if (version) info.bootloaderVersion = version;
    const [key, ...rest] = line.split(":");
    const value = rest.join(":").trim();
    if (key === "Model") info.model = value;
    if (key === "Board-ID") info.boardId = value;
  }
  return info;
}

/** /proc/mounts escapes space, tab, newline and backslash as octal. */
function unescapeMount(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/**
 * The mounted BOOTSEL drives: FAT mounts whose root holds an INFO_UF2.TXT naming a Raspberry Pi
 * bootrom, each with the USB location of its board (from the block device's sysfs path), so that
 * the right drive is chosen when several boards are in BOOTSEL at once.
 */
export async function findBootselDrives(options: DriveSearchOptions = {}): Promise<BootselDrive[]> {
  let mounts: string;
  try {
    mounts = await readFile(options.mountsFile ?? DEFAULT_MOUNTS_FILE, "utf8");
  } catch {
    return [];
  }
  const drives: BootselDrive[] = [];
  for (const line of mounts.split("\n")) {
    const [device, mountPoint, fsType] = line.split(" ").map(unescapeMount);
    if (!device || !mountPoint || !fsType || !/^(vfat|msdos|fat|fuseblk)$/.test(fsType)) continue;
    let text: string;
    try {
      text = await readFile(path.join(mountPoint, "INFO_UF2.TXT"), "utf8");
    } catch {
      continue;
    }
    const info = parseInfoUf2(text);
    if (!/Raspberry Pi|RP2/i.test(`${info.model ?? ""} ${info.boardId ?? ""}`)) continue;
    const drive: BootselDrive = { mountPoint, device, info };
    try {
      const real = await realpath(
        path.join(options.blockClass ?? DEFAULT_BLOCK_CLASS, path.basename(device)),
      );
      const location = locationInSysfsPath(real);
      if (location) drive.location = location;
    } catch {
      // No sysfs link: the drive can still be chosen when it is the only one.
    }
    drives.push(drive);
  }
  return drives;
}
