import { createHash } from "node:crypto";
import { type SignalOptions, sleep, type TimeoutOptions, throwIfAborted } from "../abort";
import type {
  BoardCapabilities,
  BoardDriver,
  BoardSession,
  DeviceIdentity,
  FlashOptions,
  FlashPlan,
  FlashResult,
  LineConsole,
  ProbeResult,
  ResetMode,
  VerifyResult,
} from "../contracts/board-driver";
import type { PortInfo, PortRef } from "../contracts/port";
import { createError, ErrorCodes } from "../errors";
import { validateFlashPlan } from "../pipeline/plan";

const PKG = "core/testing";

/** Operations a fault can be attached to. */
export type FakeBoardOperation = "open" | "identify" | "flash" | "verify" | "reset" | "console";

/**
 * A fault injected into one fake device. `times` attempts fail (default: all), then the
 * operation works again, which is how retry policies are tested.
 */
export interface FakeBoardFault {
  op: FakeBoardOperation;
  /** Reject with this code (`SYNC_FAILED`, `PORT_DISCONNECTED`, …). */
  code?: string;
  /** Never answer: the call waits until its signal fires (tests the pipeline's timeouts). */
  hang?: boolean;
  /** For `flash`: fail after this many bytes of the plan were written (a board unplugged mid-write). */
  afterBytes?: number;
  /** For `flash`: write the data with one byte flipped, so that verification fails. */
  corrupt?: boolean;
  times?: number;
}

export interface FakeDeviceOptions {
  identity?: Partial<DeviceIdentity>;
  /** Flash size in bytes; 4 MiB by default. */
  flashSize?: number;
  /** Console answers after `reset("app")`: command → reply line(s). Default `info` → `OK`. */
  console?: Record<string, string | string[]>;
  /** Simulated write speed, bytes per second (0: instant). */
  bytesPerSecond?: number;
}

/** One simulated device sitting on a port. Inspect `memory` to check what was written. */
export interface FakeDevice {
  readonly port: string;
  readonly identity: DeviceIdentity;
  readonly memory: Uint8Array;
  readonly faults: FakeBoardFault[];
  console: Record<string, string | string[]>;
  bytesPerSecond: number;
  /** Regions written (not skipped), in order, over the device's life. */
  readonly writes: string[];
  /** Current mode after the last reset. */
  mode: "bootloader" | "app";
  /** Number of times the device was opened. */
  opens: number;
}

export interface FakeBoardDriverOptions {
  name?: string;
  families?: readonly string[];
  capabilities?: Partial<BoardCapabilities>;
}

/**
 * A scriptable board driver, scoped to the instance (no module globals). Devices are plugged
 * into ports with {@link FakeBoard.plug}, faults injected with {@link FakeBoard.inject}, and the
 * memory each device holds can be inspected. It passes the board driver conformance suite.
 *
 * @example
 * const fake = createFakeBoard();
 * fake.plug("/dev/ttyUSB0", { identity: { mac: "24:6f:28:00:00:01" } });
 * fake.inject("/dev/ttyUSB0", { op: "open", code: "SYNC_FAILED", times: 1 });
 */
export interface FakeBoard {
  readonly driver: BoardDriver;
  plug(port: string, options?: FakeDeviceOptions): FakeDevice;
  unplug(port: string): void;
  device(port: string): FakeDevice | undefined;
  inject(port: string, fault: FakeBoardFault): void;
  /** Ports with an open session right now (must be empty after every pipeline). */
  openPorts(): string[];
}

let serialCounter = 0;

export function createFakeBoard(options: FakeBoardDriverOptions = {}): FakeBoard {
  const devices = new Map<string, FakeDevice>();
  const sessions = new Map<string, FakeSession>();
  const capabilities: BoardCapabilities = {
    compressedWrite: false,
    skipUnchanged: true,
    verify: "md5",
    console: true,
    uniqueId: "mac",
    perDeviceData: true,
    resetModes: ["bootloader", "app", "hard"],
    imageFormats: ["bin"],
    enumerate: true,
    ...options.capabilities,
  };

  const driver: BoardDriver = {
    name: options.name ?? "fake",
    families: options.families ?? ["fake32"],
    capabilities,
    async list(opts?: SignalOptions): Promise<PortInfo[]> {
      throwIfAborted(opts?.signal, PKG);
      return [...devices.keys()].map((path) => ({ path, familyHint: devices.get(path)!.identity.family }));
    },
    async probe(port: PortRef, opts?: SignalOptions): Promise<ProbeResult> {
      throwIfAborted(opts?.signal, PKG);
      const device = devices.get(port.path);
      return device ? { present: true, family: device.identity.family } : { present: false };
    },
    async open(port: PortRef, opts?: SignalOptions): Promise<BoardSession> {
      throwIfAborted(opts?.signal, PKG);
      const device = devices.get(port.path);
      if (!device) {
        throw createError(PKG, ErrorCodes.NO_DEVICE, `No device answers on ${port.path}`, {
          details: { port: port.path },
        });
      }
      if (sessions.has(port.path)) {
        throw createError(PKG, ErrorCodes.PORT_BUSY, `${port.path} is already open`, {
          details: { port: port.path },
        });
      }
      await applyFault(device, "open", opts?.signal);
      device.opens += 1;
      device.mode = "bootloader";
      const session = new FakeSession(
        port,
        device,
        capabilities,
        () => {
          if (sessions.get(port.path) === session) sessions.delete(port.path);
        },
        () => devices.get(port.path) === device,
      );
      sessions.set(port.path, session);
      return session;
    },
  };

  return {
    driver,
    plug(port, deviceOptions = {}) {
      serialCounter += 1;
      const n = serialCounter;
      const mac = deviceOptions.identity?.mac ?? `02:fa:c7:${hex2(n >> 16)}:${hex2(n >> 8)}:${hex2(n)}`;
      const flashSize = deviceOptions.flashSize ?? 4 * 1024 * 1024;
      const identity: DeviceIdentity = {
        family: driver.families[0] ?? "fake32",
        chip: "FAKE32-D0WD",
        mac,
        uniqueId: mac.replaceAll(":", ""),
        flashSize,
        ...deviceOptions.identity,
      };
      const device: FakeDevice = {
        port,
        identity,
        memory: new Uint8Array(flashSize).fill(0xff),
        faults: [],
        console: deviceOptions.console ?? { info: "OK" },
        bytesPerSecond: deviceOptions.bytesPerSecond ?? 0,
        writes: [],
        mode: "app",
        opens: 0,
      };
      devices.set(port, device);
      return device;
    },
    unplug(port) {
      devices.delete(port);
      sessions.get(port)?.vanish();
    },
    device: (port) => devices.get(port),
    inject(port, fault) {
      const device = devices.get(port);
      if (!device) throw new Error(`No fake device on ${port}`);
      device.faults.push({ ...fault });
    },
    openPorts: () => [...sessions.keys()],
  };
}

class FakeSession implements BoardSession {
  private closed = false;
  private gone = false;
  private readonly vanishListeners = new Set<() => void>();

  constructor(
    readonly port: PortRef,
    private readonly device: FakeDevice,
    private readonly capabilities: BoardCapabilities,
    private readonly release: () => void,
    private readonly stillPlugged: () => boolean,
  ) {}

  vanish(): void {
    this.gone = true;
    for (const listener of this.vanishListeners) listener();
  }

  private check(signal?: AbortSignal): void {
    throwIfAborted(signal, PKG);
    if (this.closed) throw createError(PKG, ErrorCodes.INVALID_ARGUMENT, "The session is closed");
    if (this.gone || !this.stillPlugged()) {
      throw createError(PKG, ErrorCodes.PORT_DISCONNECTED, `The device on ${this.port.path} disappeared`);
    }
  }

  async identify(options?: SignalOptions): Promise<DeviceIdentity> {
    this.check(options?.signal);
    await applyFault(this.device, "identify", options?.signal);
    return { ...this.device.identity };
  }

  async flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    this.check(options.signal);
    validateFlashPlan(plan, { flashSize: this.device.identity.flashSize, pkg: PKG });
    const fault = takeFault(this.device, "flash");
    if (fault && !fault.afterBytes && !fault.corrupt) await failWith(fault, "flash", options.signal);
    const started = performance.now();
    const result: FlashResult = { regions: [], bytesWritten: 0, durationMs: 0 };
    let written = 0;
    for (const region of plan.regions) {
      const regionStart = performance.now();
      const current = this.device.memory.subarray(region.offset, region.offset + region.data.length);
      if (this.capabilities.skipUnchanged && md5(current) === md5(region.data)) {
        options.onProgress?.({
          region: region.name,
          phase: "skip",
          bytesDone: region.data.length,
          bytesTotal: region.data.length,
        });
        result.regions.push({
          name: region.name,
          offset: region.offset,
          size: region.data.length,
          skipped: true,
          durationMs: 0,
        });
        continue;
      }
      const chunk = 4096;
      for (let done = 0; done < region.data.length; done += chunk) {
        this.check(options.signal);
        const part = region.data.subarray(done, Math.min(done + chunk, region.data.length));
        if (fault?.afterBytes !== undefined && written + part.length > fault.afterBytes) {
          if (fault.code === ErrorCodes.PORT_DISCONNECTED) this.gone = true;
          await failWith(fault, "flash", options.signal);
        }
        this.device.memory.set(part, region.offset + done);
        written += part.length;
        if (this.device.bytesPerSecond > 0)
          await sleep((part.length / this.device.bytesPerSecond) * 1000, options.signal);
        options.onProgress?.({
          region: region.name,
          phase: "write",
          bytesDone: done + part.length,
          bytesTotal: region.data.length,
        });
      }
      this.device.writes.push(region.name);
      result.bytesWritten += region.data.length;
      result.regions.push({
        name: region.name,
        offset: region.offset,
        size: region.data.length,
        skipped: false,
        durationMs: performance.now() - regionStart,
      });
    }
    const last = result.regions.filter((r) => !r.skipped).at(-1);
    if (fault?.corrupt && last) {
      // A marginal link: one byte of the last region written lands wrong.
      const at = last.offset + Math.floor(last.size / 2);
      this.device.memory[at] = (this.device.memory[at] ?? 0) ^ 0xff;
    }
    result.durationMs = performance.now() - started;
    return result;
  }

  async verify(plan: FlashPlan, options: FlashOptions = {}): Promise<VerifyResult> {
    this.check(options.signal);
    await applyFault(this.device, "verify", options.signal);
    const regions = plan.regions.map((region) => {
      const expected = md5(region.data);
      const actual = md5(this.device.memory.subarray(region.offset, region.offset + region.data.length));
      options.onProgress?.({
        region: region.name,
        phase: "verify",
        bytesDone: region.data.length,
        bytesTotal: region.data.length,
      });
      return { name: region.name, ok: expected === actual, expected, actual };
    });
    return { ok: regions.every((r) => r.ok), regions };
  }

  async reset(mode: ResetMode, options?: SignalOptions): Promise<void> {
    this.check(options?.signal);
    if (!this.capabilities.resetModes.includes(mode)) {
      throw createError(PKG, ErrorCodes.NOT_SUPPORTED, `Reset mode ${mode} is not supported`);
    }
    await applyFault(this.device, "reset", options?.signal);
    this.device.mode = mode === "bootloader" ? "bootloader" : "app";
  }

  async openConsole(options?: SignalOptions): Promise<LineConsole> {
    this.check(options?.signal);
    if (!this.capabilities.console)
      throw createError(PKG, ErrorCodes.NOT_SUPPORTED, "This board has no console");
    await applyFault(this.device, "console", options?.signal);
    return new FakeConsole(this.device, (listener) => {
      this.vanishListeners.add(listener);
      return () => this.vanishListeners.delete(listener);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }
}

class FakeConsole implements LineConsole {
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly device: FakeDevice,
    private readonly onVanish: (listener: () => void) => () => void,
  ) {}

  get backlog(): readonly string[] {
    return this.lines;
  }

  async writeLine(line: string, options?: SignalOptions): Promise<void> {
    throwIfAborted(options?.signal, PKG);
    if (this.device.mode !== "app") return; // a board still in its bootloader does not answer
    const reply = this.device.console[line.trim()];
    const replies =
      reply === undefined ? [`ERR unknown command: ${line.trim()}`] : Array.isArray(reply) ? reply : [reply];
    setTimeout(() => {
      this.lines.push(...replies);
      if (this.lines.length > 200) this.lines.splice(0, this.lines.length - 200);
      this.waiter?.();
    }, 1);
  }

  async expect(pattern: string | RegExp, options: TimeoutOptions): Promise<string> {
    const matches = (line: string): boolean =>
      typeof pattern === "string" ? line.includes(pattern) : pattern.test(line);
    return new Promise<string>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = (): void => {
        this.waiter = undefined;
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        offVanish();
      };
      const check = (): void => {
        const index = this.lines.findIndex(matches);
        if (index >= 0) {
          const [line] = this.lines.splice(0, index + 1).slice(-1);
          cleanup();
          resolve(line!);
        }
      };
      const onAbort = (): void => {
        cleanup();
        reject(createError(PKG, ErrorCodes.ABORTED, "Console wait cancelled"));
      };
      const offVanish = this.onVanish(() => {
        cleanup();
        reject(
          createError(PKG, ErrorCodes.PORT_DISCONNECTED, `The device on ${this.device.port} disappeared`),
        );
      });
      if (this.closed) return reject(createError(PKG, ErrorCodes.INVALID_ARGUMENT, "The console is closed"));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(() => {
        cleanup();
        reject(
          createError(
            PKG,
            ErrorCodes.CONSOLE_TIMEOUT,
            `No line matching ${String(pattern)} within ${options.timeoutMs} ms`,
            {
              details: { pattern: String(pattern), timeoutMs: options.timeoutMs },
            },
          ),
        );
      }, options.timeoutMs ?? 5_000);
      this.waiter = check;
      check();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function takeFault(device: FakeDevice, op: FakeBoardOperation): FakeBoardFault | undefined {
  const index = device.faults.findIndex((f) => f.op === op && (f.times === undefined || f.times > 0));
  if (index < 0) return undefined;
  const fault = device.faults[index]!;
  if (fault.times !== undefined) fault.times -= 1;
  return fault;
}

async function applyFault(device: FakeDevice, op: FakeBoardOperation, signal?: AbortSignal): Promise<void> {
  const fault = takeFault(device, op);
  if (fault) await failWith(fault, op, signal);
}

async function failWith(fault: FakeBoardFault, op: FakeBoardOperation, signal?: AbortSignal): Promise<never> {
  if (fault.hang) {
    await new Promise<never>((_, reject) => {
      const onAbort = (): void => reject(createError(PKG, ErrorCodes.ABORTED, `${op} cancelled`));
      if (signal?.aborted) onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
  const code = fault.code ?? ErrorCodes.PROTOCOL_ERROR;
  throw createError(PKG, code, `Injected ${code} during ${op}`, { details: { injected: true, op } });
}

function md5(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}
