import { runAt } from "./clock";
import type { DeviceWire, SimFault, SimModemLines, SimPortOptions, SimulatedDevice } from "./types";

/** The host end of a simulated cable (an open port). */
export interface CableHost {
  /** Bytes from the device, after wire time and faults. */
  receive(bytes: Uint8Array): void;
  /** The device vanished. */
  gone(): void;
  /** Host UART settings. */
  readonly baudRate: number;
  readonly bitsPerByte: number;
  /** Host parity, when known. */
  readonly parity?: string;
}

/** Largest slice delivered at once in time-accurate mode, so long writes stream like on a wire. */
const SLICE = 32;

/**
 * One simulated port: a device, the cable to it (wire time, faults, counters), and at most one
 * host end at a time. Lives as long as the device is on the binding, across host opens.
 */
export class SimCable implements DeviceWire {
  readonly faults: SimFault[];
  readonly timing: "instant" | "real";
  /** Bytes that crossed the cable (after faults), per direction. */
  readonly stats = { toDevice: 0, toHost: 0 };
  /** Bytes offered to the cable (fault indexes count these), per direction. */
  private offered = { toDevice: 0, toHost: 0 };
  private host: CableHost | undefined;
  private readonly toDeviceQueue: { time: number; run: () => void }[] = [];
  private readonly toHostQueue: { time: number; run: () => void }[] = [];
  private virtualNow: number | undefined;
  /** How late (ms) the last delivery to the host ran, and when: a host reacting to it is not charged for that. */
  private hostLag = { ms: 0, at: 0 };
  private txFree = 0;
  private rxFree = 0;
  private generation = 0;
  connected = true;
  lines: SimModemLines = { dtr: false, rts: false, brk: false };

  constructor(
    readonly path: string,
    readonly device: SimulatedDevice,
    readonly options: SimPortOptions,
  ) {
    this.faults = options.faults ?? [];
    this.timing = options.timing ?? "instant";
    device.attach?.(this);
  }

  now(): number {
    return this.virtualNow ?? performance.now();
  }

  at(timeMs: number, fn: () => void): void {
    runAt(timeMs, () => this.asOf(timeMs, fn));
  }

  /** Runs device code with its clock at `timeMs` (when it was due, not when the timer fired). */
  private asOf(timeMs: number, fn: () => void): void {
    const outer = this.virtualNow;
    this.virtualNow = timeMs;
    try {
      fn();
    } finally {
      this.virtualNow = outer;
    }
  }

  get hostBaudRate(): number | undefined {
    return this.host?.baudRate;
  }

  get hostOpen(): boolean {
    return this.host !== undefined;
  }

  /** Connects a host end (port opened). */
  open(host: CableHost): void {
    this.host = host;
    this.generation += 1;
    this.txFree = 0;
    this.rxFree = 0;
    this.device.onOpen?.();
    this.device.onBaudRate?.(host.baudRate);
    // Opening a tty asserts DTR and RTS (the Arduino auto-reset fires here on real boards).
    this.setLines({ dtr: true, rts: true, brk: false });
  }

  /** Disconnects the host end (port closed): hupcl releases DTR and RTS. */
  close(): void {
    if (!this.host) return;
    this.host = undefined;
    this.generation += 1;
    if (this.connected) {
      this.setLines({ dtr: false, rts: false, brk: false });
      this.device.onClose?.();
    }
  }

  setLines(lines: Partial<SimModemLines>): void {
    this.lines = { ...this.lines, ...lines };
    this.device.onSignals?.({ ...this.lines });
  }

  baudChanged(): void {
    if (this.host) this.device.onBaudRate?.(this.host.baudRate);
  }

  /** Time at which every byte the host wrote has left its UART. */
  get drainedAt(): number {
    return this.txFree;
  }

  /** Host → device. */
  hostWrite(bytes: Uint8Array): void {
    const host = this.host;
    if (!host || !this.connected) return;
    this.schedule("to-device", Uint8Array.from(bytes), host);
  }

  /** Device → host ({@link DeviceWire.send}). Bytes sent while no host is attached are lost. */
  send(bytes: Uint8Array): void {
    const host = this.host;
    if (!host || !this.connected || bytes.length === 0) return;
    this.schedule("to-host", Uint8Array.from(bytes), host);
  }

  unplug(): void {
    if (!this.connected) return;
    this.connected = false;
    const host = this.host;
    this.host = undefined;
    this.generation += 1;
    host?.gone();
  }

  /** Puts the device back after {@link unplug} (a new host open is needed). */
  replug(): void {
    this.connected = true;
  }

  private schedule(direction: "to-device" | "to-host", bytes: Uint8Array, host: CableHost): void {
    const generation = this.generation;
    const deliver = (slice: Uint8Array): void => {
      if (generation !== this.generation || !this.connected) return;
      this.deliver(direction, slice, host);
    };
    if (this.timing === "instant") {
      setImmediate(() => deliver(bytes));
      return;
    }
    const byteMs = (host.bitsPerByte * 1000) / host.baudRate;
    // Device replies start from the device's time. Host writes start from the real time the host
    // wrote, less the lateness of the timer that delivered what it is reacting to (a simulator
    // artifact, not host latency).
    const real = performance.now();
    const lag = real - this.hostLag.at < 50 ? this.hostLag.ms : 0;
    const now = direction === "to-host" ? this.now() : real - lag;
    let free = Math.max(now, direction === "to-device" ? this.txFree : this.rxFree);
    const queue = direction === "to-device" ? this.toDeviceQueue : this.toHostQueue;
    const idle = queue.length === 0;
    const device = direction === "to-device";
    for (let at = 0; at < bytes.length; at += SLICE) {
      const slice = bytes.subarray(at, at + SLICE);
      free += slice.length * byteMs;
      const due = free;
      queue.push({
        time: due,
        run: () => {
          if (device) {
            this.asOf(due, () => deliver(slice));
            return;
          }
          const at = performance.now();
          this.hostLag = { ms: Math.max(0, at - due), at };
          deliver(slice);
        },
      });
    }
    if (idle) this.pump(queue);
    if (direction === "to-device") this.txFree = free;
    else this.rxFree = free;
  }

  /** Delivers queued slices strictly in order, each at its time. */
  private pump(queue: { time: number; run: () => void }[]): void {
    const head = queue[0];
    if (!head) return;
    runAt(head.time, () => {
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.time <= now) queue.shift()!.run();
      this.pump(queue);
    });
  }

  private deliver(direction: "to-device" | "to-host", bytes: Uint8Array, host: CableHost): void {
    const key = direction === "to-device" ? "toDevice" : "toHost";
    const garble = this.mismatched(host);
    const out: number[] = [];
    for (const byte of bytes) {
      const index = this.offered[key];
      this.offered[key] += 1;
      const fault = this.faults.find((f) => f.direction === direction && f.at === index);
      if (fault?.action === "disconnect") {
        this.flush(direction, out, host);
        this.unplug();
        return;
      }
      if (fault?.action === "drop") continue;
      let value = garble ? (byte * 31 + 0x5b) & 0xff : byte;
      if (fault?.action === "corrupt") value ^= fault.mask ?? 0x01;
      out.push(value);
    }
    this.flush(direction, out, host);
  }

  private flush(direction: "to-device" | "to-host", out: number[], host: CableHost): void {
    if (out.length === 0) return;
    const data = Uint8Array.from(out);
    if (direction === "to-device") {
      this.stats.toDevice += data.length;
      this.device.onData(data);
    } else {
      this.stats.toHost += data.length;
      host.receive(data);
    }
  }

  private mismatched(host: CableHost): boolean {
    const uart = this.device.uartBaudRate;
    const parity = this.device.uartParity;
    if (parity !== undefined && host.parity !== undefined && host.parity !== parity) return true;
    return uart !== undefined && Math.abs(host.baudRate / uart - 1) > 0.03;
  }
}

/** Time in ms that `bytes` take on a UART at `baudRate` with `bitsPerByte` bits per character. */
export function wireTimeMs(bytes: number, baudRate: number, bitsPerByte = 10): number {
  return (bytes * bitsPerByte * 1000) / baudRate;
}
