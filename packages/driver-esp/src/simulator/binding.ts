import type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "../transport/binding-types";
import type { EspSimulator } from "./device";
import { type LinkHost, SimLink } from "./link";

interface BindingError extends Error {
  canceled?: boolean;
  code?: string;
}

function bindingError(message: string, code?: string, canceled = false): BindingError {
  const e: BindingError = new Error(message);
  if (code) e.code = code;
  if (canceled) e.canceled = true;
  return e;
}

/**
 * A `@serialport/bindings-interface` binding whose ports are simulated chips. DTR/RTS from
 * `set()` reach the chip's reset circuit, `update()` changes the host baud, and reads and writes
 * go through a time-accurate {@link SimLink}. One instance holds many ports.
 *
 * @example
 * const binding = new EspSimBinding();
 * binding.add("sim:esp32-0", await createEspSimulator());
 * const driver = createEspDriver({ binding });
 */
export class EspSimBinding implements BindingInterface<SimPort> {
  private readonly devices = new Map<string, EspSimulator>();
  private readonly open_ = new Set<string>();

  /** Puts `sim` on `path`. Returns the binding for chaining. */
  add(path: string, sim: EspSimulator): this {
    this.devices.set(path, sim);
    return this;
  }

  remove(path: string): void {
    this.devices.get(path)?.unplug();
    this.devices.delete(path);
  }

  get(path: string): EspSimulator | undefined {
    return this.devices.get(path);
  }

  async list(): Promise<PortInfo[]> {
    return [...this.devices.entries()]
      .filter(([, sim]) => sim.connected)
      .map(([path, sim]) => ({
        path,
        manufacturer: "factory simulator",
        serialNumber: sim.options.usb?.serialNumber,
        pnpId: undefined,
        locationId: undefined,
        vendorId: (sim.options.usb?.vendorId ?? 0x10c4).toString(16).padStart(4, "0"),
        productId: (sim.options.usb?.productId ?? 0xea60).toString(16).padStart(4, "0"),
      }));
  }

  async open(options: OpenOptions): Promise<SimPort> {
    const sim = this.devices.get(options.path);
    if (!sim?.connected) {
      throw bindingError(`Error: No such file or directory, cannot open ${options.path}`, "ENOENT");
    }
    if (this.open_.has(options.path)) {
      throw bindingError(`Error Resource temporarily unavailable Cannot lock port`, "EBUSY");
    }
    this.open_.add(options.path);
    const port = new SimPort(sim, options, () => this.open_.delete(options.path));
    return port;
  }
}

/** One open simulated port (the host end of the cable). */
export class SimPort implements BindingPortInterface, LinkHost {
  readonly openOptions: Required<OpenOptions>;
  isOpen = true;
  private readonly link: SimLink;
  private rx: Uint8Array[] = [];
  private waiting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private gone = false;

  constructor(
    private readonly sim: EspSimulator,
    options: OpenOptions,
    private readonly onClose: () => void,
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
    } as Required<OpenOptions>;
    this.link = new SimLink(sim, this, options.baudRate);
    // Opening a tty raises DTR and RTS; with both asserted the auto-reset circuit does nothing.
    sim.setLines({ dtr: true, rts: true });
  }

  hostReceive(bytes: Uint8Array): void {
    if (!this.isOpen || bytes.length === 0) return;
    this.rx.push(bytes);
    const w = this.waiting;
    this.waiting = undefined;
    w?.resolve();
  }

  hostGone(): void {
    this.gone = true;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(bindingError("Error: Input/output error, device disconnected", "EIO"));
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.link.close();
    this.onClose();
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(bindingError("Port is closed", undefined, true));
    // hupcl: closing the tty drops DTR and RTS.
    if (!this.gone) this.sim.setLines({ dtr: false, rts: false });
  }

  async read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    while (this.rx.length === 0) {
      if (!this.isOpen) throw bindingError("Port is closed", undefined, true);
      if (this.gone) throw bindingError("Error: Input/output error, device disconnected", "EIO");
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
    if (!this.isOpen) throw bindingError("Port is not open", undefined, true);
    if (this.gone || !this.sim.connected)
      throw bindingError("Error: Input/output error, cannot write", "EIO");
    this.link.hostWrite(buffer);
  }

  async update(options: UpdateOptions): Promise<void> {
    if (!this.isOpen) throw bindingError("Port is not open");
    this.link.hostBaud = options.baudRate;
    (this.openOptions as { baudRate: number }).baudRate = options.baudRate;
  }

  async set(options: SetOptions): Promise<void> {
    if (!this.isOpen) throw bindingError("Port is not open");
    if (this.gone) throw bindingError("Error: Input/output error, cannot set", "EIO");
    this.sim.setLines({ dtr: options.dtr ?? true, rts: options.rts ?? true });
  }

  async get(): Promise<PortStatus> {
    return { cts: false, dsr: false, dcd: false };
  }

  async getBaudRate(): Promise<{ baudRate: number }> {
    return { baudRate: this.link.hostBaud ?? this.sim.uartBaud };
  }

  async flush(): Promise<void> {
    this.rx = [];
  }

  async drain(): Promise<void> {
    const clock = this.sim.clock;
    const until = this.link.drainedAt;
    if (clock.mode === "real" && until > clock.now()) {
      await new Promise<void>((resolve) => clock.at(until, () => resolve()));
    }
  }
}
