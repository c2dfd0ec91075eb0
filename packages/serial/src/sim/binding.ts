import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  BindingPortInfo as PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "../binding-types";
import { type CableHost, SimCable } from "./cable";
import type { SimPortOptions, SimulatedDevice } from "./types";

interface BindingError extends Error {
  code?: string;
  canceled?: boolean;
}

function bindingError(message: string, code?: string, canceled = false): BindingError {
  const error: BindingError = new Error(message);
  if (code) error.code = code;
  if (canceled) error.canceled = true;
  return error;
}

/**
 * A `@serialport/bindings-interface` binding whose ports are simulated devices, scoped to the
 * instance (no module globals). DTR/RTS/BREAK from `set()` and baud changes from `update()` reach
 * the device, so reset sequences work as on a real adapter; reads and writes cross a
 * {@link SimCable} that can be time-accurate and can drop, corrupt or disconnect at byte N.
 *
 * @example
 * const binding = createSimBinding();
 * for (let i = 0; i < 48; i++) binding.add(`sim:avr-${i}`, createOptibootSimulator());
 * const link = await openSerialLink("sim:avr-0", { baudRate: 115200, binding });
 */
export class SimBinding implements BindingInterface<SimBindingPort> {
  private readonly cables = new Map<string, SimCable>();

  /** Puts `device` on `path`. Returns the cable (counters, faults, unplug). */
  add(path: string, device: SimulatedDevice, options: SimPortOptions = {}): SimCable {
    if (this.cables.has(path)) throw new Error(`simulated port ${path} already exists`);
    const cable = new SimCable(path, device, options);
    this.cables.set(path, cable);
    return cable;
  }

  /** Removes the device from `path` (an open host port sees a disconnect). */
  remove(path: string): void {
    this.cables.get(path)?.unplug();
    this.cables.delete(path);
  }

  get(path: string): SimCable | undefined {
    return this.cables.get(path);
  }

  get paths(): string[] {
    return [...this.cables.keys()];
  }

  async list(): Promise<PortInfo[]> {
    return [...this.cables.values()]
      .filter((cable) => cable.connected)
      .map((cable) => ({
        path: cable.path,
        manufacturer: cable.options.usb?.manufacturer ?? "factory simulator",
        serialNumber: cable.options.usb?.serialNumber,
        pnpId: undefined,
        locationId: cable.options.usb?.locationId,
        vendorId: cable.options.usb?.vendorId,
        productId: cable.options.usb?.productId,
      }));
  }

  async open(options: OpenOptions): Promise<SimBindingPort> {
    const cable = this.cables.get(options.path);
    if (!cable?.connected) {
      throw bindingError(`Error: No such file or directory, cannot open ${options.path}`, "ENOENT");
    }
    if (cable.hostOpen && options.lock !== false) {
      throw bindingError("Error Resource temporarily unavailable Cannot lock port", "EBUSY");
    }
    return new SimBindingPort(cable, options);
  }
}

/** Creates an empty {@link SimBinding}. */
export function createSimBinding(): SimBinding {
  return new SimBinding();
}

/** The host end of a simulated port, as the serialport stream or a {@link SerialLink} uses it. */
export class SimBindingPort implements BindingPortInterface, CableHost {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  private rx: Uint8Array[] = [];
  private waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private vanished = false;

  constructor(
    private readonly cable: SimCable,
    options: OpenOptions,
  ) {
    this.openOptions = {
      dataBits: 8,
      lock: true,
      stopBits: 1,
      parity: "none",
      rtscts: false,
      xon: false,
      xoff: false,
      xany: false,
      hupcl: true,
      ...options,
    };
    cable.open(this);
  }

  get baudRate(): number {
    return this.openOptions.baudRate;
  }

  get parity(): string {
    return this.openOptions.parity;
  }

  get bitsPerByte(): number {
    const parity = this.openOptions.parity === "none" ? 0 : 1;
    return 1 + this.openOptions.dataBits + parity + this.openOptions.stopBits;
  }

  receive(bytes: Uint8Array): void {
    if (!this.isOpen) return;
    this.rx.push(bytes);
    this.wake();
  }

  gone(): void {
    this.vanished = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(bindingError("Error: Input/output error, device disconnected", "EIO"));
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve();
  }

  private assertUsable(what: string): void {
    if (!this.isOpen) throw bindingError("Port is not open", undefined, true);
    if (this.vanished) throw bindingError(`Error: Input/output error, cannot ${what}`, "EIO");
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(bindingError("Port is closed", undefined, true));
    if (!this.vanished) this.cable.close();
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    while (this.rx.length === 0) {
      this.assertUsable("read");
      await new Promise<void>((resolve, reject) => {
        this.waiting = { resolve, reject };
      });
    }
    let n = 0;
    while (n < length && this.rx.length > 0) {
      const head = this.rx[0]!;
      const take = Math.min(head.length, length - n);
      buffer.set(head.subarray(0, take), offset + n);
      n += take;
      if (take === head.length) this.rx.shift();
      else this.rx[0] = head.subarray(take);
    }
    return { buffer, bytesRead: n };
  }

  async write(buffer: Buffer): Promise<void> {
    this.assertUsable("write");
    this.cable.hostWrite(buffer);
  }

  async update(options: UpdateOptions): Promise<void> {
    this.assertUsable("update");
    (this.openOptions as { baudRate: number }).baudRate = options.baudRate;
    this.cable.baudChanged();
  }

  async set(options: SetOptions): Promise<void> {
    this.assertUsable("set");
    // The native binding treats omitted dtr/rts as asserted (true) and brk as off.
    this.cable.setLines({ dtr: options.dtr ?? true, rts: options.rts ?? true, brk: options.brk ?? false });
  }

  async get(): Promise<PortStatus> {
    this.assertUsable("get");
    return { cts: false, dsr: false, dcd: false };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    this.assertUsable("get");
    return { baudRate: this.openOptions.baudRate };
  }

  async flush(): Promise<void> {
    this.assertUsable("flush");
    this.rx = [];
  }

  async drain(): Promise<void> {
    this.assertUsable("drain");
    const wait = this.cable.drainedAt - performance.now();
    if (this.cable.timing === "real" && wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}
