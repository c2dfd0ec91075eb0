import type { DeviceWire, SimulatedDevice } from "@factory/serial";
import type { SimPico } from "./device";

/**
 * The USB CDC port of a pico-sdk application (stdio USB) on a simulated board: a line console,
 * and the 1200-baud touch that reboots the board into BOOTSEL.
 *
 * Console lines: `info` → `OK <chip> <flash id>`, `ping` → `pong`, anything else → `ERR unknown`.
 */
export class SimPicoAppPort implements SimulatedDevice {
  private wire: DeviceWire | undefined;
  private line = "";

  constructor(
    private readonly board: SimPico,
    private readonly onTouch: () => void,
  ) {}

  attach(wire: DeviceWire): void {
    this.wire = wire;
  }

  onBaudRate(baudRate: number): void {
    // pico-sdk reacts to the line coding itself (SET_LINE_CODING), not to the close.
    if (baudRate === 1200 && this.board.resetViaBaudRate) this.onTouch();
  }

  onData(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (byte === 0x0a || byte === 0x0d) {
        const line = this.line.trim();
        this.line = "";
        if (line) this.answer(line);
      } else if (this.line.length < 256) this.line += String.fromCharCode(byte);
    }
  }

  private answer(line: string): void {
    const reply =
      line === "info"
        ? `OK ${this.board.chip} ${this.board.flashId.toLowerCase()}`
        : line === "ping"
          ? "pong"
          : `ERR unknown ${line}`;
    this.wire?.send(Buffer.from(`${reply}\r\n`, "latin1"));
  }
}
