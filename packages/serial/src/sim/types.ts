/** The host's modem lines as a simulated device sees them. `true` = asserted (pin low). */
export interface SimModemLines {
  dtr: boolean;
  rts: boolean;
  brk: boolean;
}

/** How a simulated device talks back and learns the time, given to it by {@link SimulatedDevice.attach}. */
export interface DeviceWire {
  /** Sends bytes towards the host (they arrive after their wire time in time-accurate mode). */
  send(bytes: Uint8Array): void;
  /** The device vanishes (USB cable pulled): open host ports fail with `PORT_DISCONNECTED`. */
  unplug(): void;
  /** The host's current baud rate (what the host UART is set to), or undefined if no host is attached. */
  readonly hostBaudRate: number | undefined;
  /** Whether a host has the port open. */
  readonly hostOpen: boolean;
  /**
   * The device's notion of now (ms, `performance.now()` scale): while the device handles bytes,
   * the time they were due to arrive, so that a late JavaScript timer does not make the device
   * look slow. Device timers should use it with {@link at}.
   */
  now(): number;
  /** Runs `fn` at device time `timeMs` (precisely, see `runAt`); inside it, `now()` is `timeMs`. */
  at(timeMs: number, fn: () => void): void;
}

/**
 * A simulated device behind a serial port: the bootloader or application of a board. The binding
 * calls these from its own timers, never re-entrantly from inside `send`.
 */
export interface SimulatedDevice {
  /** Called once when the device is put on a port; keep `wire` to send bytes. */
  attach?(wire: DeviceWire): void;
  /** Bytes that arrived from the host (after wire time, faults applied). */
  onData(bytes: Uint8Array): void;
  /** The host changed DTR, RTS or BREAK (also on open: both asserted; on close: both released). */
  onSignals?(lines: SimModemLines): void;
  /** The host opened the port or changed its baud rate. */
  onBaudRate?(baudRate: number): void;
  /** The host opened the port. */
  onOpen?(): void;
  /** The host closed the port. */
  onClose?(): void;
  /**
   * The baud rate the device's UART runs at, when it has a fixed one. Bytes crossing the cable
   * while the host's rate differs by more than 3 % arrive garbled, as they would on a real UART.
   */
  readonly uartBaudRate?: number | undefined;
  /**
   * The parity the device's UART runs with, when it has a fixed one. Bytes crossing the cable
   * while the host's parity differs arrive garbled (framing errors on a real UART).
   */
  readonly uartParity?: "none" | "even" | "odd" | undefined;
}

/** A fault on the simulated cable, at the Nth byte (0-based, counted per direction since the port was added). */
export interface SimFault {
  direction: "to-device" | "to-host";
  at: number;
  /** `drop`: the byte is lost; `corrupt`: XORed with `mask`; `disconnect`: the device vanishes before it. */
  action: "drop" | "corrupt" | "disconnect";
  /** XOR mask for `corrupt`; default 0x01. */
  mask?: number;
}

export interface SimPortOptions {
  /**
   * `instant` (default): bytes arrive on the next turn of the event loop, in order. `real`: every
   * byte takes its wire time (1 start bit, data bits, parity bit if any, stop bits) at the host's
   * baud rate, in each direction independently, using real timers.
   */
  timing?: "instant" | "real";
  /** Faults to apply; the array may be edited while the port is in use. */
  faults?: SimFault[];
  /** USB identity the port lists with (hex strings as serialport reports them). */
  usb?: {
    vendorId?: string;
    productId?: string;
    serialNumber?: string;
    manufacturer?: string;
    locationId?: string;
  };
}
