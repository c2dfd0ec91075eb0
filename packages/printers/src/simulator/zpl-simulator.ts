import { createServer, type Server, type Socket } from "node:net";
import { StringDecoder } from "node:string_decoder";
import type { PrinterState } from "@factory/core";
import { formatHostStatus, type HostStatus } from "../zpl/host-status";

export interface ZplSimulatorOptions {
  /** Listen address; loopback by default. */
  host?: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** How long one label takes to print, ms (formats wait in the buffer meanwhile). Default 20. */
  printMs?: number;
}

/** The fault flags the simulator reports in `~HS`. */
export interface SimulatedFaults {
  paperOut: boolean;
  paused: boolean;
  headOpen: boolean;
  ribbonOut: boolean;
  bufferFull: boolean;
  corruptRam: boolean;
  overTemperature: boolean;
}

/**
 * How the simulated printer behaves on the wire:
 * - `answer`: a healthy network stack; `~HS` is answered from the current flags;
 * - `silent`: connections are accepted but nothing is ever answered (some printers do this in
 *   MEDIA OUT or HEAD OPEN; also a hung print server);
 * - `refuse`: every connection is reset at once (printer off, wrong address).
 */
export type WireMode = "answer" | "silent" | "refuse";

const NO_FAULTS: SimulatedFaults = {
  paperOut: false,
  paused: false,
  headOpen: false,
  ribbonOut: false,
  bufferFull: false,
  corruptRam: false,
  overTemperature: false,
};

/**
 * A Zebra-class printer on raw TCP: answers `~HS` with the three STX/ETX strings from a
 * scriptable state, and captures every `^XA … ^XZ` format it receives (the "printed" ones once
 * they leave the buffer). Used by the ZPL printer tests and the labeling end-to-end tests.
 *
 * @example
 * const sim = await ZplPrinterSimulator.start();
 * const printer = createZplPrinter({ host: sim.host, port: sim.port });
 * sim.setState("paper-out");
 */
export class ZplPrinterSimulator {
  /** Every complete format received, in order. */
  readonly formats: string[] = [];
  /** Formats that left the buffer as printed labels. */
  readonly printed: string[] = [];
  /** `~HS` queries answered. */
  statusQueries = 0;
  faults: SimulatedFaults = { ...NO_FAULTS };
  mode: WireMode = "answer";
  /** The next connection is closed by the printer after it received this many bytes. */
  closeAfterFormatBytes: number | undefined;
  private readonly buffer: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly waiters: (() => void)[] = [];
  private printing = false;

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    private readonly printMs: number,
  ) {}

  static async start(options: ZplSimulatorOptions = {}): Promise<ZplPrinterSimulator> {
    const server = createServer();
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const sim = new ZplPrinterSimulator(server, host, port, options.printMs ?? 20);
    server.on("connection", (socket) => sim.accept(socket));
    return sim;
  }

  /** Sets the flags for a contract state (`ready` clears them; `offline` makes the printer silent). */
  setState(state: PrinterState): void {
    this.faults = { ...NO_FAULTS };
    this.mode = "answer";
    switch (state) {
      case "paper-out":
        this.faults.paperOut = true;
        break;
      case "head-open":
        this.faults.headOpen = true;
        break;
      case "ribbon-out":
        this.faults.ribbonOut = true;
        break;
      case "paused":
        this.faults.paused = true;
        break;
      case "busy":
        this.faults.bufferFull = true;
        break;
      case "error":
        this.faults.corruptRam = true;
        break;
      case "offline":
        this.mode = "silent";
        break;
      default:
        break;
    }
    this.pump();
  }

  /** Resolves once `count` formats have been received in total. */
  async waitForFormats(count: number, timeoutMs = 5000): Promise<string[]> {
    const started = Date.now();
    while (this.formats.length < count) {
      if (Date.now() - started > timeoutMs)
        throw new Error(`simulator: ${this.formats.length} of ${count} formats`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.formats.slice(0, count);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private hostStatus(partialFormat: boolean): HostStatus {
    const f = this.faults;
    return {
      paperOut: f.paperOut,
      paused: f.paused,
      labelLengthDots: 400,
      formatsInBuffer: this.buffer.length,
      bufferFull: f.bufferFull,
      partialFormat,
      corruptRam: f.corruptRam,
      underTemperature: false,
      overTemperature: f.overTemperature,
      headOpen: f.headOpen,
      ribbonOut: f.ribbonOut,
      printMode: 2,
      labelWaiting: false,
      labelsRemaining: this.buffer.length,
    };
  }

  private accept(socket: Socket): void {
    if (this.mode === "refuse") {
      socket.resetAndDestroy();
      return;
    }
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending = "";
    let format: string | undefined;
    let received = 0;
    const decoder = new StringDecoder("utf8");
    const closeAfter = this.closeAfterFormatBytes;
    this.closeAfterFormatBytes = undefined;
    socket.on("data", (chunk: Buffer) => {
      if (this.mode === "silent") return;
      const room = closeAfter === undefined ? chunk.length : Math.max(0, closeAfter - received);
      received += chunk.length;
      pending += decoder.write(chunk.subarray(0, room));
      for (;;) {
        const hs = pending.indexOf("~HS");
        const marker = pending.indexOf(format === undefined ? "^XA" : "^XZ");
        if (hs < 0 && marker < 0) break;
        if (hs >= 0 && (marker < 0 || hs < marker)) {
          if (format !== undefined) format += pending.slice(0, hs);
          pending = pending.slice(hs + 3);
          this.statusQueries += 1;
          socket.write(formatHostStatus(this.hostStatus(format !== undefined)));
          continue;
        }
        if (format === undefined) {
          format = "";
          pending = pending.slice(marker);
          continue;
        }
        const complete = format + pending.slice(0, marker + 3);
        pending = pending.slice(marker + 3);
        format = undefined;
        this.formats.push(complete);
        this.buffer.push(complete);
        for (const w of this.waiters.splice(0)) w();
        this.pump();
      }
      if (format !== undefined) {
        // Keep a possible split "^XZ" or "~HS" at the end for the next chunk.
        const keep = Math.min(2, pending.length);
        format += pending.slice(0, pending.length - keep);
        pending = pending.slice(pending.length - keep);
      } else if (pending.length > 2) {
        pending = pending.slice(-2);
      }
      if (closeAfter !== undefined && received >= closeAfter) socket.destroy();
    });
  }

  /** Prints buffered formats one by one while no fault or pause holds them. */
  private pump(): void {
    if (this.printing) return;
    const f = this.faults;
    if (!this.buffer.length || f.paperOut || f.paused || f.headOpen || f.ribbonOut || f.corruptRam) return;
    this.printing = true;
    setTimeout(() => {
      this.printing = false;
      const next = this.buffer.shift();
      if (next !== undefined) this.printed.push(next);
      this.pump();
    }, this.printMs);
  }
}
