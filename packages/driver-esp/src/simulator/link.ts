import { wireMs } from "./clock";
import type { EspSimulator, SimOutput } from "./device";

/** The host end of a simulated serial cable. */
export interface LinkHost {
  /** Bytes arrived from the device. */
  hostReceive(bytes: Uint8Array): void;
  /** The device vanished. */
  hostGone(): void;
}

/**
 * A time-accurate serial cable between a host end and a simulated chip: every byte takes 10 bits
 * at the sender's baud, bytes sent at a baud the receiver is not set to arrive garbled, and the
 * chip's wire faults (drops, bit flips, disconnect at byte N, baud ceiling) are applied here.
 */
export class SimLink implements SimOutput {
  /** The host UART's baud; `undefined` means "follows the device" (a pty has no baud). */
  hostBaud: number | undefined;
  private txFree = 0;
  private rxFree = 0;
  private closed = false;
  /** How late (ms) the last device → host delivery ran, and when it was due. */
  private lateBy = 0;
  private lateDue = 0;

  constructor(
    readonly sim: EspSimulator,
    private readonly host: LinkHost,
    hostBaud: number | undefined,
  ) {
    this.hostBaud = hostBaud;
    sim.attach(this);
  }

  /** Host → device. Resolves the time (clock ms) at which the last byte is on the wire. */
  hostWrite(bytes: Uint8Array): number {
    const sim = this.sim;
    if (this.closed || !sim.connected) return 0;
    const baud = this.hostBaud ?? sim.uartBaud;
    const clock = sim.clock;
    // Both ends share one event loop here; a delivery to the host that ran late because the loop
    // was busy must not be charged to the host as idle wire time. Take that lateness back once
    // (never before the moment the host's answer was due, nor before the wire is free).
    let now = clock.now();
    if (this.lateBy > 0) {
      now = Math.max(now - this.lateBy, this.lateDue);
      this.lateBy = 0;
    }
    const start = Math.max(now, this.txFree);
    this.txFree = start + (clock.mode === "real" ? wireMs(bytes.length, baud) : 0);
    const copy = new Uint8Array(bytes);
    clock.at(this.txFree, (due) => {
      if (this.closed || !sim.connected) return;
      let data = this.impair(copy, baud, sim.uartBaud);
      const limit = sim.faults.disconnectAtByte;
      if (limit !== undefined && sim.stats.bytesFromHost + data.length >= limit) {
        data = data.subarray(0, Math.max(0, limit - sim.stats.bytesFromHost));
        sim.receiveAt(due, data);
        sim.unplug();
        return;
      }
      sim.receiveAt(due, data);
    });
    return this.txFree;
  }

  /** Time at which everything written so far has left the host UART. */
  get drainedAt(): number {
    return this.txFree;
  }

  deviceWrite(bytes: Uint8Array, baud: number): void {
    if (this.closed) return;
    const clock = this.sim.clock;
    const start = Math.max(this.sim.now(), this.rxFree);
    this.rxFree = start + (clock.mode === "real" ? wireMs(bytes.length, baud) : 0);
    const copy = new Uint8Array(bytes);
    clock.at(this.rxFree, (due) => {
      if (this.closed) return;
      if (clock.mode === "real") {
        this.lateBy = Math.max(0, clock.now() - due);
        this.lateDue = due;
      }
      this.host.hostReceive(this.impair(copy, baud, this.hostBaud ?? baud));
    });
  }

  deviceGone(): void {
    if (this.closed) return;
    this.host.hostGone();
  }

  close(): void {
    this.closed = true;
    this.sim.attach(undefined);
  }

  private impair(bytes: Uint8Array, sentAt: number, receivedAt: number): Uint8Array {
    const f = this.sim.faults;
    const rnd = this.sim.random;
    const mismatch = Math.abs(sentAt / receivedAt - 1) > 0.03;
    const tooFast = f.maxBaud !== undefined && Math.max(sentAt, receivedAt) > f.maxBaud;
    if (mismatch || tooFast) {
      // A UART sampling at the wrong rate sees framing garbage, roughly in proportion to the rates.
      const n = Math.max(1, Math.round((bytes.length * receivedAt) / sentAt));
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
      return out;
    }
    const drop = f.dropRate ?? 0;
    const corrupt = f.corruptRate ?? 0;
    if (drop === 0 && corrupt === 0) return bytes;
    const out: number[] = [];
    for (const b of bytes) {
      if (drop > 0 && rnd() < drop) continue;
      out.push(corrupt > 0 && rnd() < corrupt ? b ^ (1 << Math.floor(rnd() * 8)) : b);
    }
    return Uint8Array.from(out);
  }
}
