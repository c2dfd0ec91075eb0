import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type DeviceWire, exposeOnPty, type SimulatedDevice } from "@factory/serial";
import type { EspSimulator } from "./device";
import { SimLink } from "./link";

export interface EspPtyServer {
  /** The path other tools open (esptool, esptool-js, a terminal). */
  readonly path: string;
  readonly simulator: EspSimulator;
  close(): Promise<void>;
}

/**
 * Serves `sim` on a pseudo-terminal (through `@factory/serial`'s `exposeOnPty`, which runs socat):
 * tools open {@link EspPtyServer.path}. The chip's bytes still cross its own time-accurate
 * {@link SimLink} (wire time, faults); a pty has no baud, so the link follows the chip's. A pty
 * carries no modem lines either, so create the simulator with `resetCircuit: "none"` (it then
 * starts in download mode) and point tools at it with "no reset".
 *
 * Rejects `NOT_SUPPORTED` when socat is not installed, `TIMEOUT` when the pty does not appear,
 * `ABORTED` on the signal.
 */
export async function startEspPtyServer(
  sim: EspSimulator,
  options: { dir?: string; socat?: string; signal?: AbortSignal } = {},
): Promise<EspPtyServer> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "esp-pty-"));
  const ownDir = options.dir === undefined;
  let wire: DeviceWire | undefined;
  const link = new SimLink(
    sim,
    {
      hostReceive: (bytes) => wire?.send(bytes),
      // The simulated device vanished: nothing more is sent to the tool.
      hostGone: () => {},
    },
    undefined,
  );
  const device: SimulatedDevice = {
    attach: (w) => {
      wire = w;
    },
    onData: (bytes) => {
      link.hostWrite(bytes);
    },
  };
  let bridge: Awaited<ReturnType<typeof exposeOnPty>>;
  try {
    bridge = await exposeOnPty(device, {
      path: path.join(dir, "ttyESP"),
      ...(options.socat ? { socat: options.socat } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    link.close();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  let closed = false;
  return {
    path: bridge.path,
    simulator: sim,
    async close() {
      if (closed) return;
      closed = true;
      link.close();
      await bridge.close();
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
