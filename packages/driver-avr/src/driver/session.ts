import { createHash } from "node:crypto";
import {
  type BoardSession,
  type DeviceIdentity,
  ErrorCodes,
  type FlashOptions,
  type FlashPlan,
  type FlashResult,
  type LineConsole,
  type Logger,
  type PortRef,
  type ResetMode,
  type SignalOptions,
  sleep,
  throwIfAborted,
  type VerifyResult,
  validateFlashPlan,
} from "@factory/core";
import { createLineConsole, type SerialLink } from "@factory/serial";
import { bootStart, SIGNATURES, signatureHex } from "../boards";
import { avrError, PKG } from "../errors";
import { isNoAnswer, Stk500Client } from "../protocol/client";
import { Stk } from "../protocol/stk500";
import { readIdentity } from "./identity";
import { type BinaryRegion, toBinaryRegion } from "./image";
import type { ResolvedOptions } from "./options";
import { pageImage, planPages } from "./pages";
import { pulseReset } from "./reset";

/** Below this silence the bootloader's 1 s watchdog is surely still waiting. */
const FRESH_MS = 600;

/** One open AVR board: STK500v1 to optiboot over a serial link. */
export class AvrSession implements BoardSession {
  private readonly client: Stk500Client;
  private state: "bootloader" | "app" | "unknown" = "unknown";
  private version = "";
  private console: LineConsole | undefined;
  private closed = false;

  constructor(
    readonly port: PortRef,
    private readonly link: SerialLink,
    private readonly o: ResolvedOptions,
    private readonly logger: Logger,
  ) {
    this.client = new Stk500Client(link, { extendedAddressing: o.board.flashSize > 0x20000 });
  }

  /** Resets into the bootloader, syncs, and checks the signature against the configured board. */
  async connect(options: SignalOptions = {}): Promise<void> {
    await this.enterBootloader(true, options);
    const major = await this.client.getParameter(Stk.SW_MAJOR, options);
    const minor = await this.client.getParameter(Stk.SW_MINOR, options);
    this.version = `${major}.${minor}`;
    await this.client.enterProgmode(options);
    const signature = await this.client.readSignature(options);
    const expected = signatureHex(this.o.board.signature);
    const actual = signatureHex(signature);
    if (actual !== expected) {
      throw avrError(
        ErrorCodes.DEVICE_MISMATCH,
        `The board on ${this.port.path} reports signature ${actual} (${SIGNATURES[actual] ?? "unknown part"}), but the station is configured for ${this.o.board.name} (${expected}, ${this.o.board.chip})`,
        { details: { port: this.port.path, expected, actual, board: this.o.board.id }, retryable: false },
      );
    }
    this.logger.debug("bootloader in sync", { version: this.version, signature: actual });
  }

  /**
   * Gets the bootloader's attention: reset (DTR pulse unless `reset: none`) and GET_SYNC up to
   * `syncAttempts` times, pulsing again on each retry as avrdude does. `SYNC_FAILED` otherwise.
   */
  private async enterBootloader(pulse: boolean, options: SignalOptions): Promise<void> {
    if (this.link.baudRate !== this.o.baudRate) await this.link.setBaudRate(this.o.baudRate, options);
    let canPulse = pulse && this.o.reset === "dtr";
    if (canPulse) canPulse = await pulseReset(this.link, this.o, options);
    for (let attempt = 1; attempt <= this.o.syncAttempts; attempt += 1) {
      throwIfAborted(options.signal, PKG);
      try {
        await this.link.flushInput(options);
        await this.client.sync({ ...options, timeoutMs: 200 });
        this.state = "bootloader";
        return;
      } catch (error) {
        if (!isNoAnswer(error)) throw error;
        this.logger.debug("no sync yet", { attempt, error: String(error) });
      }
      if (canPulse && attempt > 1) {
        await this.link.setSignals({ dtr: true, rts: true }, options);
        await sleep(1, options.signal);
        await this.link.setSignals({ dtr: false, rts: false }, options);
        await sleep(20, options.signal);
      }
    }
    this.state = "unknown";
    throw avrError(
      ErrorCodes.SYNC_FAILED,
      `No answer from an STK500v1 bootloader on ${this.port.path} at ${this.o.baudRate} baud after ${this.o.syncAttempts} attempts. Check the board type (an old-bootloader Nano runs at 57600: board "nano") and the cable${this.o.reset === "none" ? '; reset is "none", so the board must already be in its bootloader' : ""}`,
      { details: { port: this.port.path, baudRate: this.o.baudRate, attempts: this.o.syncAttempts } },
    );
  }

  /** Makes sure the bootloader still listens (its watchdog starts the sketch after 1 s of silence). */
  private async ensureBootloader(options: SignalOptions): Promise<void> {
    if (this.closed)
      throw avrError(ErrorCodes.INVALID_ARGUMENT, `The session on ${this.port.path} is closed`);
    if (this.console)
      throw avrError(ErrorCodes.INVALID_ARGUMENT, "Close the console before using the bootloader");
    throwIfAborted(options.signal, PKG);
    if (this.state === "bootloader" && this.link.baudRate === this.o.baudRate) {
      if (performance.now() - this.client.lastReplyAt < FRESH_MS) return;
      try {
        await this.link.flushInput(options);
        await this.client.sync({ ...options, timeoutMs: 100 });
        return;
      } catch (error) {
        if (!isNoAnswer(error)) throw error;
      }
    }
    await this.enterBootloader(true, options);
  }

  async identify(options: SignalOptions = {}): Promise<DeviceIdentity> {
    await this.ensureBootloader(options);
    const signature = await this.client.readSignature(options);
    return readIdentity(this.client, this.o, this.port, signature, this.version, options);
  }

  /** Converts and checks a plan: HEX parsed, every region inside application flash. */
  private prepare(plan: FlashPlan): BinaryRegion[] {
    if (plan.eraseAll) {
      // optiboot has no chip erase (it answers STK_CHIP_ERASE with OK and does nothing): refuse
      // rather than pretend; every page a plan touches is rewritten whole anyway.
      throw avrError(
        ErrorCodes.NOT_SUPPORTED,
        "optiboot cannot erase the whole chip; write the regions instead",
      );
    }
    const regions = plan.regions.map(toBinaryRegion);
    validateFlashPlan({ regions }, { flashSize: this.o.board.flashSize, pkg: PKG });
    const limit = bootStart(this.o.board);
    for (const r of regions) {
      if (r.offset + r.data.length > limit) {
        throw avrError(
          ErrorCodes.PLAN_INVALID,
          `Region ${r.name} (0x${r.offset.toString(16)}–0x${(r.offset + r.data.length).toString(16)}) reaches into the bootloader section at 0x${limit.toString(16)}; the largest sketch for ${this.o.board.name} is ${limit} bytes`,
          { details: { region: r.name, end: r.offset + r.data.length, bootStart: limit }, retryable: false },
        );
      }
    }
    return regions;
  }

  async flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    const started = performance.now();
    const regions = this.prepare(plan);
    await this.ensureBootloader(options);
    const pageSize = this.o.board.pageSize;
    const done = new Map(regions.map((r) => [r.name, 0]));
    const timing = new Map<string, { first: number; last: number }>();
    const wireStart = this.link.stats.bytesWritten;
    for (const page of planPages(regions, pageSize)) {
      throwIfAborted(options.signal, PKG);
      const base =
        page.covered < pageSize
          ? await this.client.readPage(page.address, pageSize, "F", options)
          : undefined;
      const t0 = performance.now();
      await this.client.writePage(page.address, pageImage(page, pageSize, base), "F", options);
      for (const part of page.parts) {
        const total = done.get(part.region)! + part.data.length;
        done.set(part.region, total);
        const t = timing.get(part.region);
        timing.set(part.region, { first: t?.first ?? t0, last: performance.now() });
        const region = regions.find((r) => r.name === part.region)!;
        options.onProgress?.({
          region: part.region,
          phase: "write",
          bytesDone: total,
          bytesTotal: region.data.length,
          wireBytes: this.link.stats.bytesWritten - wireStart,
        });
      }
    }
    return {
      regions: regions.map((r) => ({
        name: r.name,
        offset: r.offset,
        size: r.data.length,
        skipped: false,
        durationMs: (timing.get(r.name)?.last ?? 0) - (timing.get(r.name)?.first ?? 0),
      })),
      bytesWritten: regions.reduce((n, r) => n + r.data.length, 0),
      durationMs: performance.now() - started,
    };
  }

  /** Reads `length` bytes at `address` through page-aligned READ_PAGE commands. */
  async read(
    address: number,
    length: number,
    options: FlashOptions & { region?: string } = {},
  ): Promise<Uint8Array> {
    await this.ensureBootloader(options);
    const out = new Uint8Array(length);
    const pageSize = this.o.board.pageSize;
    const end = address + length + ((address + length) % 2);
    let at = address - (address % 2);
    while (at < end) {
      throwIfAborted(options.signal, PKG);
      const n = Math.min(pageSize - (at % pageSize), end - at);
      const chunk = await this.client.readPage(at, n, "F", options);
      for (let i = 0; i < n; i += 1) {
        const target = at + i - address;
        if (target >= 0 && target < length) out[target] = chunk[i]!;
      }
      at += n;
      if (options.region) {
        options.onProgress?.({
          region: options.region,
          phase: "verify",
          bytesDone: Math.min(length, at - address),
          bytesTotal: length,
        });
      }
    }
    return out;
  }

  async verify(plan: FlashPlan, options: FlashOptions = {}): Promise<VerifyResult> {
    const regions = this.prepare(plan);
    const results: VerifyResult["regions"] = [];
    for (const region of regions) {
      const held = await this.read(region.offset, region.data.length, { ...options, region: region.name });
      const expected = digest(region.data);
      const actual = digest(held);
      results.push({ name: region.name, ok: expected === actual, expected, actual });
    }
    return { ok: results.every((r) => r.ok), regions: results };
  }

  async reset(mode: ResetMode, options: SignalOptions = {}): Promise<void> {
    if (this.console) throw avrError(ErrorCodes.INVALID_ARGUMENT, "Close the console before resetting");
    if (mode === "bootloader") {
      await this.enterBootloader(true, options);
      return;
    }
    if (mode === "app") {
      await this.ensureBootloader(options);
      await this.client.leaveProgmode(options);
      this.state = "app";
      await sleep(20, options.signal); // optiboot's 16 ms watchdog reset into the sketch
      return;
    }
    if (this.o.reset !== "dtr" || !(await pulseReset(this.link, this.o, options))) {
      throw avrError(
        ErrorCodes.NOT_SUPPORTED,
        `A hard reset needs the DTR line; ${this.port.path} has none`,
        {
          retryable: false,
        },
      );
    }
    this.state = "unknown";
  }

  async openConsole(
    options: SignalOptions & { baudRate?: number; lineEnding?: string } = {},
  ): Promise<LineConsole> {
    throwIfAborted(options.signal, PKG);
    if (this.console)
      throw avrError(ErrorCodes.INVALID_ARGUMENT, "A console is already open on this session");
    const baud = options.baudRate ?? this.o.consoleBaudRate;
    if (this.link.baudRate !== baud) await this.link.setBaudRate(baud, options);
    this.state = "unknown";
    const console = createLineConsole(this.link, {
      lineEnding: options.lineEnding ?? "\n",
      encoding: "latin1",
      backlogLimit: 200,
      pkg: PKG,
    });
    const close = console.close.bind(console);
    console.close = async () => {
      await close();
      this.console = undefined;
    };
    this.console = console;
    return console;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.console?.close().catch(() => {});
    await this.link.close();
  }
}

function digest(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex").slice(0, 16);
}
