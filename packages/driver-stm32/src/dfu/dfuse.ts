import { ErrorCodes, isFactoryError, type Logger, noopLogger, sleep, throwIfAborted } from "@factory/core";
import { PKG, stm32Error } from "../errors";
import { DfuState, DfuStatus, DfuseCommand, dfuStateName } from "./constants";
import type { DfuClient, DfuStatusReport } from "./dfu-client";

/** Bounds for the busy phases, ms (the device's bwPollTimeout is honoured within these). */
export interface DfuseTimeouts {
  /** Set address, one block write, one page/sector erase. */
  command: number;
  /** A mass erase (dfu-util allows 35 s: some parts report a far too short poll timeout). */
  massErase: number;
}

const DEFAULT_TIMEOUTS: DfuseTimeouts = { command: 10_000, massErase: 35_000 };

/** Counters a bench or test can read: how much time the device asked the host to wait. */
export interface DfuseStats {
  polls: number;
  pollWaitMs: number;
  blocksWritten: number;
  blocksRead: number;
}

/**
 * DfuSe (DFU 1.1a, AN3156) on top of the DFU class requests: address pointer, erase, block
 * download and upload, leave. Every busy phase is waited out with the device's own bwPollTimeout
 * before the next GETSTATUS, and bounded overall.
 */
export class Dfuse {
  readonly stats: DfuseStats = { polls: 0, pollWaitMs: 0, blocksWritten: 0, blocksRead: 0 };
  private readonly timeouts: DfuseTimeouts;
  private readonly logger: Logger;

  constructor(
    readonly client: DfuClient,
    readonly transferSize: number,
    private readonly where: string,
    options: { timeouts?: Partial<DfuseTimeouts>; logger?: Logger } = {},
  ) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.logger = options.logger ?? noopLogger;
  }

  /**
   * Brings the device to dfuIDLE: clears dfuERROR (real parts start there), aborts an unfinished
   * download or upload. Rejects when the device is stuck elsewhere (manifesting, app mode).
   */
  async toIdle(signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; attempt < 4; attempt++) {
      const report = await this.client.getStatus(signal);
      if (report.state === DfuState.dfuIDLE && report.status === DfuStatus.OK) return;
      if (report.state === DfuState.dfuERROR) {
        this.logger.debug("clearing DFU error state", { status: report.status });
        await this.client.clearStatus(signal);
      } else if (
        report.state === DfuState.dfuDNLOAD_IDLE ||
        report.state === DfuState.dfuUPLOAD_IDLE ||
        report.state === DfuState.dfuIDLE ||
        report.state === DfuState.dfuDNLOAD_SYNC
      ) {
        await this.client.abort(signal);
      } else if (report.state === DfuState.dfuDNBUSY) {
        await this.wait(report.pollTimeoutMs, signal);
      } else {
        throw stm32Error(
          ErrorCodes.PROTOCOL_ERROR,
          `The DFU device on ${this.where} is in ${dfuStateName(report.state)} and cannot be brought to dfuIDLE`,
          { details: { state: report.state } },
        );
      }
    }
    throw stm32Error(ErrorCodes.PROTOCOL_ERROR, `The DFU device on ${this.where} does not return to dfuIDLE`);
  }

  /** Sets the address pointer (`0x21 a0..a3`). */
  setAddress(address: number, signal?: AbortSignal): Promise<void> {
    return this.command(
      Uint8Array.of(DfuseCommand.SET_ADDRESS, ...le32(address)),
      "set address",
      this.timeouts.command,
      signal,
    );
  }

  /** Erases the page or sector holding `address`. */
  erasePage(address: number, signal?: AbortSignal): Promise<void> {
    return this.command(
      Uint8Array.of(DfuseCommand.ERASE, ...le32(address)),
      "erase",
      this.timeouts.command,
      signal,
    );
  }

  /** Erases the whole flash (`0x41` alone). */
  massErase(signal?: AbortSignal): Promise<void> {
    return this.command(Uint8Array.of(DfuseCommand.ERASE), "mass erase", this.timeouts.massErase, signal);
  }

  /** Removes read protection: the part mass-erases and resets, so no status follows. */
  async readUnprotect(signal?: AbortSignal): Promise<void> {
    await this.client.dnload(0, Uint8Array.of(DfuseCommand.READ_UNPROTECT), signal);
    try {
      await this.client.getStatus(signal);
    } catch (error) {
      if (
        !isFactoryError(error, [ErrorCodes.PORT_DISCONNECTED, ErrorCodes.PROTOCOL_ERROR, ErrorCodes.TIMEOUT])
      )
        throw error;
    }
  }

  /** The DfuSe command list (UPLOAD block 0): `00 21 41 92` on ST bootloaders. */
  async getCommands(signal?: AbortSignal): Promise<number[]> {
    await this.toIdle(signal);
    const list = await this.client.upload(0, this.transferSize, signal);
    await this.client.abort(signal);
    return [...list];
  }

  /**
   * Writes `data` at `address` (already erased) in transfer-size blocks: one address pointer,
   * then wBlockNum 2, 3, … each followed by the device's busy wait. `onBlock` gets bytes done.
   */
  async download(
    address: number,
    data: Uint8Array,
    onBlock?: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.setAddress(address, signal);
    let block = 2;
    for (let offset = 0; offset < data.length; offset += this.transferSize) {
      throwIfAborted(signal, PKG);
      if (block > 0xffff) {
        await this.setAddress(address + offset, signal);
        block = 2;
      }
      const chunk = data.subarray(offset, Math.min(offset + this.transferSize, data.length));
      await this.client.dnload(block, chunk, signal);
      await this.settle(
        `write of block ${block} at 0x${(address + offset).toString(16)}`,
        this.timeouts.command,
        signal,
      );
      this.stats.blocksWritten++;
      block++;
      onBlock?.(Math.min(offset + this.transferSize, data.length));
    }
  }

  /** Reads `length` bytes from `address` in transfer-size blocks. */
  async upload(
    address: number,
    length: number,
    onBlock?: (done: number) => void,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let offset = 0;
    while (offset < length) {
      await this.setAddress(address + offset, signal);
      await this.client.abort(signal);
      let block = 2;
      while (offset < length && block <= 0xffff) {
        throwIfAborted(signal, PKG);
        const want = Math.min(this.transferSize, length - offset);
        let chunk: Uint8Array;
        try {
          chunk = await this.client.upload(block, want, signal);
        } catch (error) {
          throw await this.explainStall(error, `read at 0x${(address + offset).toString(16)}`, signal);
        }
        if (chunk.length !== want) {
          throw stm32Error(
            ErrorCodes.PROTOCOL_ERROR,
            `The DFU device on ${this.where} returned ${chunk.length} of ${want} bytes at 0x${(address + offset).toString(16)}`,
          );
        }
        out.set(chunk, offset);
        offset += want;
        block++;
        this.stats.blocksRead++;
        onBlock?.(offset);
      }
      await this.client.abort(signal);
    }
    return out;
  }

  /**
   * Leaves DFU into the application: optional address pointer (the jump address), then a
   * zero-length DNLOAD and GETSTATUS. The part manifests and drops off the bus; a missing
   * answer to that last GETSTATUS is expected.
   */
  async leave(jumpAddress: number | undefined, signal?: AbortSignal): Promise<void> {
    await this.toIdle(signal);
    if (jumpAddress !== undefined) await this.setAddress(jumpAddress, signal);
    await this.client.dnload(2, new Uint8Array(0), signal);
    try {
      const report = await this.client.getStatus(signal);
      if (report.state === DfuState.dfuERROR) throw this.client.statusError(report, "leave");
    } catch (error) {
      if (
        !isFactoryError(error, [ErrorCodes.PORT_DISCONNECTED, ErrorCodes.PROTOCOL_ERROR, ErrorCodes.TIMEOUT])
      )
        throw error;
    }
  }

  /** Sends a DfuSe command (DNLOAD block 0) and waits it out. */
  private async command(
    bytes: Uint8Array,
    what: string,
    budgetMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      await this.client.dnload(0, bytes, signal);
    } catch (error) {
      throw await this.explainStall(error, what, signal);
    }
    await this.settle(what, budgetMs, signal);
  }

  /**
   * After a DNLOAD: GETSTATUS, wait bwPollTimeout while dfuDNBUSY, until dfuDNLOAD-IDLE. A dfuERROR
   * is cleared (so the session stays usable) and reported as `STM32_DFU_STATUS`.
   */
  private async settle(what: string, budgetMs: number, signal?: AbortSignal): Promise<DfuStatusReport> {
    const started = Date.now();
    for (;;) {
      let report: DfuStatusReport;
      try {
        report = await this.client.getStatus(signal);
      } catch (error) {
        // A part busy with a long erase may not answer at all; keep asking within the budget.
        if (isFactoryError(error, ErrorCodes.TIMEOUT) && Date.now() - started < budgetMs) continue;
        throw error;
      }
      this.stats.polls++;
      if (report.state === DfuState.dfuERROR || report.status !== DfuStatus.OK) {
        const failure = this.client.statusError(report, what);
        await this.client.clearStatus(signal).catch(() => undefined);
        throw failure;
      }
      if (report.state === DfuState.dfuDNLOAD_IDLE || report.state === DfuState.dfuIDLE) return report;
      if (report.state !== DfuState.dfuDNBUSY && report.state !== DfuState.dfuDNLOAD_SYNC) {
        throw stm32Error(
          ErrorCodes.PROTOCOL_ERROR,
          `Unexpected DFU state ${dfuStateName(report.state)} during ${what} on ${this.where}`,
          {
            details: { state: report.state },
          },
        );
      }
      if (Date.now() - started > budgetMs) {
        throw stm32Error(
          ErrorCodes.TIMEOUT,
          `The DFU device on ${this.where} stayed busy with ${what} for more than ${budgetMs} ms`,
        );
      }
      await this.wait(report.pollTimeoutMs, signal);
    }
  }

  private async wait(ms: number, signal?: AbortSignal): Promise<void> {
    this.stats.pollWaitMs += ms;
    if (ms > 0) await sleep(ms, signal);
    else throwIfAborted(signal, PKG);
  }

  /** A stalled request moves the device to dfuERROR; GETSTATUS says why. Clears it afterwards. */
  private async explainStall(error: unknown, what: string, signal?: AbortSignal): Promise<unknown> {
    if (!isFactoryError(error, ErrorCodes.PROTOCOL_ERROR) || error.details.stalled !== true) return error;
    try {
      const report = await this.client.getStatus(signal);
      if (report.state === DfuState.dfuERROR) {
        await this.client.clearStatus(signal).catch(() => undefined);
        return this.client.statusError(report, what);
      }
    } catch {
      // keep the original stall error
    }
    return error;
  }
}

function le32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}
