import { readdir, readlink } from "node:fs/promises";
import path from "node:path";
import type { Logger, PortInfo } from "@factory/core";
import { noopLogger } from "@factory/core";
import type { BindingInterface } from "./binding-types";
import { loadNativeBinding } from "./native";

export interface ListPortsOptions {
  /** Binding to ask first (native by default). */
  binding?: BindingInterface;
  /** Root of the device tree, for the fallback (default `/dev`). */
  devDir?: string;
  logger?: Logger;
}

/**
 * Lists serial ports. Asks the binding first (udev metadata: USB ids, serial number); where that
 * fails (no udev in containers: `spawn udevadm ENOENT`) it reads `/dev/serial/by-path` and
 * `/dev/serial/by-id` instead, so a station still finds its ports. Never rejects for a missing
 * udev or directory; returns `[]` when nothing is found.
 *
 * With the fallback, `path` is the stable by-path link when there is one (a slot on the station,
 * not the device in it), `location` is the USB topology from that name, and `serialNumber` comes
 * from the by-id name.
 */
export async function listSerialPorts(options: ListPortsOptions = {}): Promise<PortInfo[]> {
  const logger = options.logger ?? noopLogger;
  try {
    const binding = options.binding ?? (await loadNativeBinding());
    const ports = await binding.list();
    return ports.map((p) => ({
      path: p.path,
      ...(p.vendorId ? { vendorId: Number.parseInt(p.vendorId, 16) } : {}),
      ...(p.productId ? { productId: Number.parseInt(p.productId, 16) } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      ...(p.locationId ? { location: p.locationId } : {}),
    }));
  } catch (error) {
    logger.debug("port listing through the binding failed; reading /dev/serial instead", {
      error: String(error),
    });
  }
  return listFromDevTree(options.devDir ?? "/dev");
}

async function links(dir: string): Promise<{ name: string; target: string }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: { name: string; target: string }[] = [];
  for (const name of names.sort()) {
    try {
      out.push({ name, target: path.resolve(dir, await readlink(path.join(dir, name))) });
    } catch {
      // Not a symlink: skip it.
    }
  }
  return out;
}

async function listFromDevTree(devDir: string): Promise<PortInfo[]> {
  const byPath = await links(path.join(devDir, "serial", "by-path"));
  const byId = await links(path.join(devDir, "serial", "by-id"));
  const byTarget = new Map<string, PortInfo>();
  for (const { name, target } of byPath) {
    const location = /usb-[^:]*:([\d.-]+):/.exec(name)?.[1] ?? /usb-0:([\d.]+)/.exec(name)?.[1];
    byTarget.set(target, {
      path: path.join(devDir, "serial", "by-path", name),
      label: path.basename(target),
      ...(location ? { location } : {}),
    });
  }
  for (const { name, target } of byId) {
    // usb-<Vendor>_<Product>_<Serial>-if00[-port0]
    const match = /^usb-(.+?)(?:-if\d+)?(?:-port\d+)?$/.exec(name);
    const parts = match?.[1]?.split("_") ?? [];
    const serialNumber = parts.length > 1 ? parts.at(-1) : undefined;
    const manufacturer = parts.length > 2 ? parts[0] : undefined;
    const existing = byTarget.get(target);
    const info: PortInfo = existing ?? {
      path: path.join(devDir, "serial", "by-id", name),
      label: path.basename(target),
    };
    if (serialNumber) info.serialNumber = serialNumber;
    if (manufacturer) info.manufacturer = manufacturer;
    byTarget.set(target, info);
  }
  return [...byTarget.values()];
}
