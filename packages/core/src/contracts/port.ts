/**
 * Where a device sits on a station. A port is the physical slot (a serial path, a USB location, a
 * network address), not the device in it: devices come and go, the slot stays.
 */
export interface PortRef {
  /**
   * The address the driver opens: `/dev/ttyUSB0`, `COM7`, `usb:1-2.3` (bus-port path), or
   * `sim:esp32-3` for a simulator. Stable per slot when the station uses by-path names.
   */
  path: string;
  /** Operator-facing name of the slot (e.g. `A3` on the needle bed). Defaults to `path`. */
  label?: string;
  /** USB identity, where the host knows it. */
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  /** USB topology location (`1-2.3`): the only stable identity when serial numbers collide. */
  location?: string;
}

/** A candidate port as enumerated by a driver's {@link BoardDriver.list}. */
export interface PortInfo extends PortRef {
  manufacturer?: string;
  /** Family the driver believes is attached, from VID/PID alone (a hint, not an identification). */
  familyHint?: string;
}

/** Formats a port for messages: its label and path. */
export function describePort(port: PortRef): string {
  return port.label && port.label !== port.path ? `${port.label} (${port.path})` : port.path;
}
