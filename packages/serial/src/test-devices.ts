import type { DeviceWire, SimModemLines, SimulatedDevice } from "./sim/types";

/**
 * A small device for this package's tests: answers every chunk with its bytes + 1 (mod 256), and
 * records the modem lines and baud rates it saw.
 */
export class IncrementingDevice implements SimulatedDevice {
  wire: DeviceWire | undefined;
  readonly received: number[] = [];
  readonly signals: SimModemLines[] = [];
  readonly bauds: number[] = [];
  opens = 0;
  closes = 0;
  constructor(readonly uartBaudRate?: number) {}
  attach(wire: DeviceWire): void {
    this.wire = wire;
  }
  onData(bytes: Uint8Array): void {
    this.received.push(...bytes);
    this.wire?.send(bytes.map((b) => (b + 1) & 0xff));
  }
  onSignals(lines: SimModemLines): void {
    this.signals.push(lines);
  }
  onBaudRate(baudRate: number): void {
    this.bauds.push(baudRate);
  }
  onOpen(): void {
    this.opens += 1;
  }
  onClose(): void {
    this.closes += 1;
  }
}
