import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, lstatSync, unlinkSync } from "node:fs";
import {
  abortedError,
  createError,
  ErrorCodes,
  isFactoryError,
  type Logger,
  noopLogger,
  type SignalOptions,
  throwIfAborted,
} from "@factory/core";
import { PKG } from "./errors";
import { runAt } from "./sim/clock";
import type { DeviceWire, SimulatedDevice } from "./sim/types";

export interface PtyBridgeOptions extends SignalOptions {
  /** Where the pseudo-terminal's symlink goes (e.g. `/tmp/line-3/ttyAVR0`). Must not exist yet. */
  path: string;
  /** The `socat` executable; default `socat` from PATH. */
  socat?: string;
  /** Milliseconds to wait for the pty to appear. Default 5000. */
  timeoutMs?: number;
  logger?: Logger;
}

/** A simulated device reachable on a pseudo-terminal path. */
export interface PtyBridge {
  /** The symlink third-party tools open (`avrdude -P <path>`). */
  readonly path: string;
  /** The pty the symlink points at (`/dev/pts/N`). */
  readonly ptyPath: string;
  /** Bytes moved, host → device and device → host. */
  readonly stats: { toDevice: number; toHost: number };
  /** Stops socat and removes the symlink. Idempotent. */
  close(): Promise<void>;
}

/**
 * Exposes `device` on a pseudo-terminal so that real host tools (avrdude, stm32flash) can talk to
 * it: `socat` owns the pty and relays its bytes over its stdin/stdout, which this process reads
 * and writes. A pty has no modem lines and no parity, so the device never sees DTR/RTS here
 * (`hostOpen` stays true, `hostBaudRate` undefined) and 8E1 protocols must be run as 8N1.
 *
 * Rejects `NOT_SUPPORTED` when socat is not installed (`apt-get install socat`), `TIMEOUT` when
 * the pty does not appear, `INVALID_ARGUMENT` when `path` already exists.
 *
 * @example
 * const pty = await exposeOnPty(createOptibootSimulator(), { path: `${dir}/ttyAVR0` });
 * // avrdude -c arduino -p m328p -P ${pty.path} -U flash:w:blink.hex:i
 * await pty.close();
 */
export async function exposeOnPty(device: SimulatedDevice, options: PtyBridgeOptions): Promise<PtyBridge> {
  throwIfAborted(options.signal, PKG);
  const logger = (options.logger ?? noopLogger).child({ pty: options.path });
  if (existsSync(options.path) || isSymlink(options.path)) {
    throw createError(
      PKG,
      ErrorCodes.INVALID_ARGUMENT,
      `${options.path} already exists; choose a free path for the pty`,
      {
        retryable: false,
      },
    );
  }
  const child = spawn(
    options.socat ?? "socat",
    ["-d", "-d", `pty,raw,echo=0,link=${options.path}`, "STDIO"],
    {
      stdio: ["pipe", "pipe", "pipe"],
    },
  );
  const stats = { toDevice: 0, toHost: 0 };
  let closed = false;
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const wire: DeviceWire = {
    send(bytes) {
      if (closed || !child.stdin.writable) return;
      stats.toHost += bytes.length;
      child.stdin.write(Buffer.from(bytes));
    },
    unplug() {
      void bridge.close();
    },
    hostBaudRate: undefined,
    hostOpen: true,
    now: () => performance.now(),
    at: (timeMs, fn) => runAt(timeMs, fn),
  };

  const ptyPath = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 5000;
    const timer = setTimeout(() => finish(new Error("timeout")), timeoutMs);
    const onAbort = (): void => finish(abortedError(options.signal!, PKG));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const onStderr = (chunk: Buffer): void => {
      stderr += chunk.toString("utf8");
      const match = /PTY is (\S+)/.exec(stderr);
      if (match && /starting data transfer loop/.test(stderr)) finish(undefined, match[1]);
    };
    child.stderr.on("data", onStderr);
    child.once("error", (error) => finish(error));
    child.once("exit", (code) => finish(new Error(`socat exited with code ${code}: ${stderr.trim()}`)));
    let done = false;
    function finish(error: unknown, path?: string): void {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      child.stderr.off("data", onStderr);
      if (path) {
        resolve(path);
        return;
      }
      child.kill("SIGTERM");
      if ((error as { code?: string }).code === "ENOENT") {
        reject(
          createError(
            PKG,
            ErrorCodes.NOT_SUPPORTED,
            "socat is not installed; install it with: apt-get install socat",
            {
              cause: error,
              retryable: false,
            },
          ),
        );
      } else if (isFactoryError(error)) {
        reject(error);
      } else {
        reject(
          createError(
            PKG,
            ErrorCodes.TIMEOUT,
            `The pseudo-terminal ${options.path} did not come up: ${String(error)}`,
            {
              cause: error,
            },
          ),
        );
      }
    }
  });

  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4096);
  });
  child.stdout.on("data", (chunk: Buffer) => {
    if (closed) return;
    stats.toDevice += chunk.length;
    try {
      device.onData(Uint8Array.from(chunk));
    } catch (error) {
      logger.error("simulated device failed on input", { error: String(error) });
    }
  });
  child.stdin.on("error", () => {});
  child.once("exit", (code) => {
    if (!closed)
      logger.warn("socat exited while the pty bridge was open", { code, stderr: stderr.slice(-500) });
  });

  device.attach?.(wire);
  device.onOpen?.();
  logger.debug("pty bridge up", { ptyPath });

  const bridge: PtyBridge = {
    path: options.path,
    ptyPath,
    stats,
    async close() {
      if (closed) return;
      closed = true;
      stopChild(child);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      if (isSymlink(options.path)) {
        try {
          unlinkSync(options.path);
        } catch {
          // socat removed it between the check and the unlink.
        }
      }
    },
  };
  return bridge;
}

function stopChild(child: ChildProcess): void {
  child.stdin?.end();
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
