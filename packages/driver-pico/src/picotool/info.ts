import { familyOfChipType, type PicoFamily } from "../families";

/** One group of `picotool info` output, keys exactly as printed. */
export type InfoGroup = Record<string, string>;

/** The Device Information group, typed. */
export interface PicotoolDevice {
  /** `RP2040`, `RP2350`, `RP2350(64k)`… */
  type: string;
  family: PicoFamily | undefined;
  revision?: string;
  /** Bytes, from `flash size: 2048K`. */
  flashSize?: number;
  /** The flash chip's 64-bit unique id as 16 lower-case hex digits (no `0x`). */
  flashId?: string;
  package?: string;
  chipId?: string;
}

/** What `picotool info` printed for one device. */
export interface PicotoolDeviceInfo {
  /** From a `RP2040 device at bus 1, address 7:` heading (only printed when several are found). */
  at?: { chip: string; bus: number; address: number };
  /** Program Information; empty when picotool printed ` none`. */
  program: InfoGroup;
  /** Fixed Pin Information: pin number → function. */
  pins: { pin: number; name: string }[];
  build: InfoGroup;
  /** `Metadata Block N` groups, in order. */
  metadata: InfoGroup[];
  /** Device Information as printed. */
  deviceGroup: InfoGroup;
  /** Device Information, typed (undefined when picotool printed no device group). */
  device: PicotoolDevice | undefined;
}

const HEADING = /^(\S+) device at bus (\d+), address (\d+):$/;

/**
 * Parses `picotool info [-a]` output. A parser splits each item line at the first `:` and trims
 * (key padding varies with the longest key); unknown groups and keys are kept as printed.
 */
export function parseInfo(text: string): PicotoolDeviceInfo[] {
  const lines = text.replace(/\r/g, "").split("\n");
  const devices: PicotoolDeviceInfo[] = [];
  let current: PicotoolDeviceInfo | undefined;
  let group: InfoGroup | "pins" | undefined;
  const fresh = (): PicotoolDeviceInfo => ({
    program: {},
    pins: [],
    build: {},
    metadata: [],
    deviceGroup: {},
    device: undefined,
  });
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (line.length === 0 || /^-+$/.test(line) || line.startsWith("Multiple RP")) {
      if (line.length === 0) group = undefined;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      current = fresh();
      current.at = { chip: heading[1]!, bus: Number(heading[2]), address: Number(heading[3]) };
      devices.push(current);
      group = undefined;
      continue;
    }
    if (!line.startsWith(" ")) {
      if (!current) {
        current = fresh();
        devices.push(current);
      }
      if (line === "Program Information") group = current.program;
      else if (line === "Fixed Pin Information") group = "pins";
      else if (line === "Build Information") group = current.build;
      else if (line === "Device Information") group = current.deviceGroup;
      else if (/^Metadata Block \d+$/.test(line)) {
        const block: InfoGroup = {};
        current.metadata.push(block);
        group = block;
      } else group = undefined;
      continue;
    }
    if (!group || !current) continue;
    const item = line.trim();
    if (item === "none") continue;
    const colon = item.indexOf(":");
    if (colon < 0) continue;
    const key = item.slice(0, colon).trim();
    const value = item.slice(colon + 1).trim();
    if (group === "pins") {
      // A pin line may name several pins: ` 0, 1:  UART0 TX, UART0 RX` is kept whole per pin list.
      for (const pin of key.split(",").map((p) => Number.parseInt(p.trim(), 10))) {
        if (Number.isInteger(pin)) current.pins.push({ pin, name: value });
      }
    } else group[key] = value;
  }
  for (const d of devices) d.device = typedDevice(d.deviceGroup);
  return devices;
}

function typedDevice(group: InfoGroup): PicotoolDevice | undefined {
  const type = group.type;
  if (!type) return undefined;
  const device: PicotoolDevice = { type, family: familyOfChipType(type) };
  if (group.revision) device.revision = group.revision;
  const size = group["flash size"] && parseSize(group["flash size"]);
  if (size) device.flashSize = size;
  const id = group["flash id"] && /^(?:0x)?([0-9a-f]{16})$/i.exec(group["flash id"])?.[1];
  if (id) device.flashId = id.toLowerCase();
  if (group.package) device.package = group.package;
  if (group.chipid) device.chipId = group.chipid.replace(/^0x/i, "").toLowerCase();
  return device;
}

/** `2048K` → 2097152; `16M` → 16777216; a plain number is bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Number(m[1]) * unit;
}
