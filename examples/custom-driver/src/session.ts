import { createHash } from "node:crypto";
import {
  type BoardCapabilities,
  type BoardSession,
  type DeviceIdentity,
  type FlashOptions,
  type FlashPlan,
  type FlashResult,
  type LineConsole,
  type Logger,
  type PortRef,
  type ResetMode,
  type SignalOptions,
  throwIfAborted,
  type VerifyResult,
  validateFlashPlan,
} from "@factory/core";
import { CommandChannel } from "./channel";
import { LineBoardConsole } from "./console";
import { LineErrorCodes, lineError, PKG } from "./errors";
import { BLOCK_SIZE, Command, FAMILY, parseDataReply, parseIdReply, READY_LINE } from "./protocol";
import type { LineLink } from "./transport";

/** One open connection to an LP1 board. Created by the driver's `open`, after `!RESET` → `READY`. */
export class LineSession implements BoardSession {
  private identity: DeviceIdentity | undefined;
  private closed = false;
  private readonly channel: CommandChannel;

  constructor(
    readonly port: PortRef,
    private readonly link: LineLink,
    private readonly capabilities: BoardCapabilities,
    replyTimeoutMs: number,
    private readonly log: Logger,
    private readonly release: () => void,
  ) {
    this.channel = new CommandChannel(link, replyTimeoutMs);
  }

  async identify(options?: SignalOptions): Promise<DeviceIdentity> {
    const reply = await this.command(Command.identify, options?.signal);
    const id = parseIdReply(reply);
    if (!id) throw this.unexpected(Command.identify, reply);
    this.identity = { family: FAMILY, chip: "LP1", uniqueId: id.uid, flashSize: id.flashSize };
    return { ...this.identity };
  }

  async flash(plan: FlashPlan, options: FlashOptions = {}): Promise<FlashResult> {
    const { flashSize } = this.identity ?? (await this.identify(options));
    validateFlashPlan(plan, { flashSize, pkg: PKG });
    const started = performance.now();
    if (plan.eraseAll) await this.expectOk(Command.erase, options.signal);
    const result: FlashResult = { regions: [], bytesWritten: 0, durationMs: 0 };
    for (const region of plan.regions) {
      const regionStarted = performance.now();
      const total = region.data.length;
      for (let done = 0; done < total; done += BLOCK_SIZE) {
        const block = region.data.subarray(done, Math.min(done + BLOCK_SIZE, total));
        await this.expectOk(Command.write(region.offset + done, block), options.signal, "FLASH_FAILED");
        options.onProgress?.({
          region: region.name,
          phase: "write",
          bytesDone: done + block.length,
          bytesTotal: total,
        });
      }
      const durationMs = performance.now() - regionStarted;
      result.regions.push({
        name: region.name,
        offset: region.offset,
        size: total,
        skipped: false,
        durationMs,
      });
      result.bytesWritten += total;
      this.log.debug(`Wrote ${region.name}`, { offset: region.offset, bytes: total });
    }
    result.durationMs = performance.now() - started;
    return result;
  }

  async verify(plan: FlashPlan, options: FlashOptions = {}): Promise<VerifyResult> {
    const regions: VerifyResult["regions"] = [];
    for (const region of plan.regions) {
      const total = region.data.length;
      const held = new Uint8Array(total);
      for (let done = 0; done < total; done += BLOCK_SIZE) {
        const length = Math.min(BLOCK_SIZE, total - done);
        const command = Command.read(region.offset + done, length);
        const reply = await this.command(command, options.signal);
        const data = parseDataReply(reply);
        if (!data || data.length !== length) throw this.unexpected(command, reply);
        held.set(data, done);
        options.onProgress?.({
          region: region.name,
          phase: "verify",
          bytesDone: done + length,
          bytesTotal: total,
        });
      }
      const expected = md5(region.data);
      const actual = md5(held);
      regions.push({ name: region.name, ok: expected === actual, expected, actual });
    }
    return { ok: regions.every((r) => r.ok), regions };
  }

  async reset(mode: ResetMode, options?: SignalOptions): Promise<void> {
    if (!this.capabilities.resetModes.includes(mode)) {
      throw lineError(LineErrorCodes.NOT_SUPPORTED, `The LP1 board cannot do a ${mode} reset`, {
        details: { mode, supported: this.capabilities.resetModes },
      });
    }
    if (mode === "app") return this.expectOk(Command.boot, options?.signal);
    const reply = await this.command(Command.reset, options?.signal);
    if (reply !== READY_LINE) throw this.unexpected(Command.reset, reply);
  }

  async openConsole(
    options?: SignalOptions & { baudRate?: number; lineEnding?: string },
  ): Promise<LineConsole> {
    this.check(options?.signal);
    if (options?.baudRate !== undefined) {
      throw lineError(
        LineErrorCodes.NOT_SUPPORTED,
        "The LP1 console runs at the port's rate; baudRate cannot change it",
      );
    }
    this.link.discard();
    return new LineBoardConsole(this.link, options?.lineEnding ?? "\n");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.link.close().catch(() => {});
    this.release();
  }

  private command(line: string, signal?: AbortSignal): Promise<string> {
    this.check(signal);
    return this.channel.send(line, signal);
  }

  private expectOk(line: string, signal?: AbortSignal, failCode?: string): Promise<void> {
    this.check(signal);
    return this.channel.expectOk(line, signal, failCode);
  }

  private unexpected(command: string, reply: string) {
    return this.channel.unexpected(command, reply);
  }

  private check(signal?: AbortSignal): void {
    throwIfAborted(signal, PKG);
    if (this.closed)
      throw lineError(LineErrorCodes.INVALID_ARGUMENT, `The session on ${this.port.path} is closed`);
  }
}

function md5(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}
