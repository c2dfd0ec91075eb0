import type { DeviceIdentity, LineConsole, ResetMode, SignalOptions } from "@factory/core";
import type { FlashLayout, FlashSector } from "../identity/flash-layout";

/**
 * What a transport (DFU or UART bootloader) gives the session: memory operations on an open,
 * synchronised bootloader. The session does plan checks, erase planning, progress and verify.
 */
export interface Stm32Access {
  readonly transport: "dfu" | "uart";
  /** Describes the port in messages. */
  readonly where: string;
  /** Flash layout of the part, known after open. */
  readonly layout: FlashLayout;
  /** Required alignment of write addresses. */
  readonly alignment: number;
  identify(signal?: AbortSignal): Promise<DeviceIdentity>;
  eraseSectors(
    sectors: readonly FlashSector[],
    onSector: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  massErase(signal?: AbortSignal): Promise<void>;
  write(
    address: number,
    data: Uint8Array,
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  read(
    address: number,
    length: number,
    onProgress: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<Uint8Array>;
  reset(mode: ResetMode, signal?: AbortSignal): Promise<void>;
  openConsole?(options: SignalOptions & { baudRate?: number; lineEnding?: string }): Promise<LineConsole>;
  close(): Promise<void>;
}
