import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BindingPortInterface } from "../transport/binding-types";
import { loadNativeBinding } from "../transport/serial-link";
import type { EspSimulator } from "./device";
import { type LinkHost, SimLink } from "./link";

export interface EspPtyServer {
  /** The path other tools open (esptool, esptool-js, a terminal). */
  readonly path: string;
  readonly simulator: EspSimulator;
  close(): Promise<void>;
}

/**
 * Serves `sim` on a pseudo-terminal pair made by socat: tools open {@link EspPtyServer.path}.
 * A pty carries no modem lines, so create the simulator with `resetCircuit: "none"` (it then
 * starts in download mode) and point tools at it with "no reset".
 */
export async function startEspPtyServer(
  sim: EspSimulator,
  options: { dir?: string; socat?: string; signal?: AbortSignal } = {},
): Promise<EspPtyServer> {
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), "esp-pty-"));
  const ownDir = options.dir === undefined;
  const tool = path.join(dir, "ttyESP");
  const inner = path.join(dir, "ttySIM");
  const child: ChildProcess = spawn(
    options.socat ?? "socat",
    ["-d", "-d", `pty,raw,echo=0,link=${tool}`, `pty,raw,echo=0,link=${inner}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let exited = false;
  child.on("exit", () => {
    exited = true;
  });
  const started = await new Promise<boolean>((resolve) => {
    child.on("error", () => resolve(false));
    const deadline = Date.now() + 5000;
    const poll = (): void => {
      if (existsSync(tool) && existsSync(inner)) resolve(true);
      else if (exited || Date.now() > deadline || options.signal?.aborted) resolve(false);
      else setTimeout(poll, 20);
    };
    poll();
  });
  if (!started) {
    child.kill();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw new Error("socat did not create the pseudo-terminal pair (is socat installed?)");
  }
  const binding = await loadNativeBinding();
  const port: BindingPortInterface = await binding.open({ path: inner, baudRate: 115200 });
  let closed = false;
  let writing: Promise<void> = Promise.resolve();
  const host: LinkHost = {
    hostReceive(bytes) {
      writing = writing.then(() => port.write(Buffer.from(bytes))).catch(() => {});
    },
    hostGone() {
      // The simulated device vanished: nothing more is sent to the tool.
    },
  };
  const link = new SimLink(sim, host, undefined);
  const buffer = Buffer.alloc(65536);
  void (async () => {
    while (!closed) {
      try {
        const { bytesRead } = await port.read(buffer, 0, buffer.length);
        if (bytesRead > 0) link.hostWrite(Uint8Array.from(buffer.subarray(0, bytesRead)));
      } catch {
        return;
      }
    }
  })();
  return {
    path: tool,
    simulator: sim,
    async close() {
      if (closed) return;
      closed = true;
      link.close();
      await port.close().catch(() => {});
      child.kill();
      await new Promise<void>((resolve) => {
        if (exited) resolve();
        else child.once("exit", () => resolve());
        setTimeout(resolve, 1000);
      });
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
