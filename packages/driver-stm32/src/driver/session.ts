import { createHash } from "node:crypto";
import {
  abortedError,
  type BoardCapabilities,
  type BoardSession,
  type DeviceIdentity,
  ErrorCodes,
  type FlashOptions,
  type FlashPlan,
  type FlashResult,
  type LineConsole,
  type Logger,
  type PortRef,
  type RegionResult,
  type ResetMode,
  type SignalOptions,
  throwIfAborted,
  toFactoryError,
  type VerifyResult,
} from "@factory/core";
import { PKG, stm32Error } from "../errors";
import { type FlashSector, sectorsTouching } from "../identity/flash-layout";
import type { IdentityRegistry } from "../identity/registry";
import type { Stm32Access } from "./access";
import { validatePlan } from "./plan";

export interface SessionDeps {
  capabilities: BoardCapabilities;
  registry: IdentityRegistry;
  logger: Logger;
  /** Called once when the session closes (frees the port). */
  onClose: () => void;
}

const digest = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/**
 * A session on one STM32 in its system bootloader, over either transport. Checks plans before
 * anything is sent, erases exactly the pages or sectors the plan touches (all of them first, so
 * two regions in one sector survive), writes, and verifies by reading back.
 */
export class Stm32Session implements BoardSession {
  private closed = false;
  private identity: DeviceIdentity | undefined;
  private claimKey: string;

  constructor(
    readonly port: PortRef,
    private readonly access: Stm32Access,
    private readonly deps: SessionDeps,
  ) {
    this.claimKey = port.path;
  }

  private run<T>(_what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return (async () => {
      if (this.closed)
        throw stm32Error(ErrorCodes.PORT_DISCONNECTED, `The session on ${this.access.where} is closed`);
      throwIfAborted(signal, PKG);
      try {
        return await fn();
      } catch (error) {
        if (signal?.aborted) throw abortedError(signal, PKG);
        throw toFactoryError(error, PKG);
      }
    })();
  }

  identify(options: SignalOptions = {}): Promise<DeviceIdentity> {
    return this.run("identify", options.signal, async () => {
      const identity = await this.access.identify(options.signal);
      this.deps.registry.claim(identity.uniqueId, this.claimKey);
      this.identity = identity;
      return identity;
    });
  }

  flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    const { signal, onProgress } = options;
    return this.run("flash", signal, async () => {
      const started = Date.now();
      validatePlan(plan, this.access.layout, this.access.where, this.access.alignment);
      if (!this.identity) await this.identify({ signal });
      const layout = this.access.layout;
      const report = (
        region: string,
        phase: "erase" | "write",
        bytesDone: number,
        bytesTotal: number,
      ): void => onProgress?.({ region, phase, bytesDone, bytesTotal });
      for (const r of plan.regions) report(r.name, "erase", 0, r.data.length);
      if (plan.eraseAll) {
        await this.access.massErase(signal);
      } else {
        const sectors = new Map<number, FlashSector>();
        for (const r of plan.regions)
          for (const s of sectorsTouching(layout, r.offset, r.data.length)) sectors.set(s.index, s);
        const list = [...sectors.values()].sort((a, b) => a.index - b.index);
        this.deps.logger.debug("erasing", { sectors: list.map((s) => s.index) });
        await this.access.eraseSectors(list, () => throwIfAborted(signal, PKG), signal);
      }
      const regions: RegionResult[] = [];
      let bytesWritten = 0;
      for (const region of plan.regions) {
        const regionStart = Date.now();
        await this.access.write(
          region.offset,
          region.data,
          (done) => {
            report(region.name, "write", done, region.data.length);
            throwIfAborted(signal, PKG);
          },
          signal,
        );
        bytesWritten += region.data.length;
        regions.push({
          name: region.name,
          offset: region.offset,
          size: region.data.length,
          skipped: false,
          durationMs: Date.now() - regionStart,
        });
      }
      return { regions, bytesWritten, durationMs: Date.now() - started };
    });
  }

  verify(plan: FlashPlan, options: FlashOptions = {}): Promise<VerifyResult> {
    const { signal, onProgress } = options;
    return this.run("verify", signal, async () => {
      validatePlan(plan, this.access.layout, this.access.where, 1);
      const regions: VerifyResult["regions"] = [];
      for (const region of plan.regions) {
        const held = await this.access.read(
          region.offset,
          region.data.length,
          (done) =>
            onProgress?.({
              region: region.name,
              phase: "verify",
              bytesDone: done,
              bytesTotal: region.data.length,
            }),
          signal,
        );
        const expected = digest(region.data);
        const actual = digest(held);
        regions.push({ name: region.name, ok: expected === actual, expected, actual });
      }
      return { ok: regions.every((r) => r.ok), regions };
    });
  }

  reset(mode: ResetMode, options: SignalOptions = {}): Promise<void> {
    return this.run("reset", options.signal, async () => {
      if (!this.deps.capabilities.resetModes.includes(mode)) {
        throw stm32Error(
          ErrorCodes.NOT_SUPPORTED,
          `Reset into "${mode}" is not possible over ${this.access.transport} on ${this.access.where}`,
        );
      }
      await this.access.reset(mode, options.signal);
    });
  }

  openConsole(
    options: SignalOptions & { baudRate?: number; lineEnding?: string } = {},
  ): Promise<LineConsole> {
    return this.run("open console", options.signal, async () => {
      if (!this.deps.capabilities.console || !this.access.openConsole) {
        throw stm32Error(
          ErrorCodes.NOT_SUPPORTED,
          `No application console over ${this.access.transport} on ${this.access.where}`,
        );
      }
      return this.access.openConsole(options);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.access.close();
    } catch (error) {
      this.deps.logger.warn("closing the port failed", { error: String(error) });
    } finally {
      this.deps.registry.release(this.claimKey);
      this.deps.onClose();
    }
  }
}
