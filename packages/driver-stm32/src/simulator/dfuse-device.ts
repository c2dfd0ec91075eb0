import { DfuRequest, DfuState, DfuStatus, DfuseCommand } from "../dfu/constants";
import { type DfuMemory, parseDfuMemoryLayout, segmentAt } from "../dfu/memory-layout";
import type { SimulatedChip } from "./chip";

/** Faults a test can arm on the simulated DFU bootloader. */
export interface DfuFaults {
  /** Fail the write of the block that starts at this address with this status (once). */
  failWriteAt?: { address: number; status: number };
  /** Drop off the bus after this many data blocks were written. */
  disconnectAfterBlocks?: number;
  /** Report this poll timeout for every busy phase instead of the chip's timing. */
  pollTimeoutMs?: number;
}

export interface DfuseModelOptions {
  transferSize: number;
  /** Alternate-setting strings, alt 0 first. */
  alternates: readonly string[];
  /** Start in dfuERROR/errFIRMWARE as the F4 in dfu-util's logs does (default true). */
  startInError?: boolean;
  /** Allow UPLOAD outside alt 0's segments (the UID in system memory). Default true. */
  uploadOutsideAlt?: boolean;
}

type Pending =
  | { kind: "command"; bytes: Uint8Array }
  | { kind: "write"; address: number; data: Uint8Array }
  | { kind: "manifest" };

/** Outcome of a class request: data for IN, `stall` for a protocol violation. */
export type DfuReply = { stall: true } | { stall: false; data?: Uint8Array };

/**
 * The DfuSe state machine of ST's USB bootloader (AN3156 and DFU 1.1): the states, statuses,
 * the DNLOAD-SYNC → DNBUSY → DNLOAD-IDLE cycle with bwPollTimeout, the block-0 commands, address
 * arithmetic for wBlockNum ≥ 2, upload, and manifestation. Also counts hosts that poll too early.
 */
export class DfuseModel {
  state: number;
  status: number;
  addressPointer = 0;
  alt = 0;
  /** GETSTATUS requests that arrived before the announced bwPollTimeout ran out. */
  pollViolations = 0;
  blocksWritten = 0;
  readonly memories: DfuMemory[];
  faults: DfuFaults = {};
  /** Called when the device leaves DFU (manifest) or resets after read unprotect. */
  onDetach: ((reason: "manifest" | "unprotect" | "fault") => void) | undefined;
  private pending: Pending | undefined;
  private outcome: number = DfuStatus.OK;
  private busyUntil = 0;

  constructor(
    readonly chip: SimulatedChip,
    readonly options: DfuseModelOptions,
  ) {
    this.memories = options.alternates.map((a) => parseDfuMemoryLayout(a));
    const inError = options.startInError ?? true;
    this.state = inError ? DfuState.dfuERROR : DfuState.dfuIDLE;
    this.status = inError ? DfuStatus.errFIRMWARE : DfuStatus.OK;
  }

  /** Milliseconds a GETSTATUS must still wait (the time a real part NAKs it); the USB side waits it out. */
  busyRemaining(now = performance.now()): number {
    return Math.max(0, this.busyUntil - now);
  }

  handleOut(request: number, value: number, data: Uint8Array): DfuReply {
    switch (request) {
      case DfuRequest.DNLOAD:
        return this.dnload(value, data);
      case DfuRequest.CLRSTATUS:
        if (this.state !== DfuState.dfuERROR) return this.stall();
        this.state = DfuState.dfuIDLE;
        this.status = DfuStatus.OK;
        return { stall: false };
      case DfuRequest.ABORT:
        if (
          this.state === DfuState.dfuIDLE ||
          this.state === DfuState.dfuDNLOAD_IDLE ||
          this.state === DfuState.dfuUPLOAD_IDLE ||
          this.state === DfuState.dfuDNLOAD_SYNC
        ) {
          this.pending = undefined;
          this.state = DfuState.dfuIDLE;
          return { stall: false };
        }
        return this.stall();
      default:
        return this.stall();
    }
  }

  handleIn(request: number, value: number, length: number): DfuReply {
    switch (request) {
      case DfuRequest.GETSTATUS:
        return { stall: false, data: this.getStatus().subarray(0, length) };
      case DfuRequest.GETSTATE:
        return { stall: false, data: Uint8Array.of(this.state).subarray(0, length) };
      case DfuRequest.UPLOAD:
        return this.upload(value, length);
      default:
        return this.stall();
    }
  }

  private stall(status: number = DfuStatus.errSTALLEDPKT): DfuReply {
    this.state = DfuState.dfuERROR;
    this.status = status;
    this.pending = undefined;
    return { stall: true };
  }

  private dnload(block: number, data: Uint8Array): DfuReply {
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuDNLOAD_IDLE) return this.stall();
    if (data.length === 0) {
      if (this.state !== DfuState.dfuDNLOAD_IDLE) return this.stall();
      this.pending = { kind: "manifest" };
      this.state = DfuState.dfuMANIFEST_SYNC;
      return { stall: false };
    }
    if (data.length > this.options.transferSize) return this.stall();
    if (block === 0) this.pending = { kind: "command", bytes: data.slice() };
    else if (block === 1) return this.stall();
    else {
      const address = this.addressPointer + (block - 2) * this.options.transferSize;
      this.pending = { kind: "write", address, data: data.slice() };
    }
    this.state = DfuState.dfuDNLOAD_SYNC;
    return { stall: false };
  }

  private getStatus(): Uint8Array {
    const now = performance.now();
    let poll = 0;
    if (this.state === DfuState.dfuDNLOAD_SYNC && this.pending) {
      poll = this.execute(this.pending);
      this.pending = undefined;
      this.state = DfuState.dfuDNBUSY;
    } else if (this.state === DfuState.dfuDNBUSY) {
      if (this.outcome === DfuStatus.OK) this.state = DfuState.dfuDNLOAD_IDLE;
      else {
        this.state = DfuState.dfuERROR;
        this.status = this.outcome;
      }
      this.outcome = DfuStatus.OK;
    } else if (this.state === DfuState.dfuMANIFEST_SYNC) {
      this.state = DfuState.dfuMANIFEST;
      this.chip.runningFrom = this.addressPointer;
      queueMicrotask(() => this.onDetach?.("manifest"));
    }
    if (this.faults.pollTimeoutMs !== undefined && poll > 0) poll = this.faults.pollTimeoutMs;
    const p = Math.ceil(poll);
    this.busyUntil = now + p;
    return Uint8Array.of(this.status, p & 0xff, (p >> 8) & 0xff, (p >> 16) & 0xff, this.state, 0);
  }

  /** Runs a DNLOAD; returns the busy time and leaves the result for the next GETSTATUS. */
  private execute(op: Pending): number {
    const chip = this.chip;
    const fail = (status: number, time = 1): number => {
      this.outcome = status;
      return time;
    };
    if (op.kind === "write") {
      const fault = this.faults.failWriteAt;
      if (fault && fault.address === op.address) {
        this.faults.failWriteAt = undefined;
        return fail(fault.status);
      }
      if (chip.readProtected) return fail(DfuStatus.errVENDOR);
      const segment = segmentAt(this.memories[this.alt]!, op.address);
      if (!segment?.writable) return fail(DfuStatus.errTARGET);
      const result = chip.write(op.address, op.data);
      if (result === "not-erased") return fail(DfuStatus.errWRITE);
      if (result !== "ok") return fail(DfuStatus.errTARGET);
      this.blocksWritten++;
      const limit = this.faults.disconnectAfterBlocks;
      if (limit !== undefined && this.blocksWritten >= limit) queueMicrotask(() => this.onDetach?.("fault"));
      return Math.max(1, chip.writeTimeMs(op.data.length));
    }
    if (op.kind === "manifest") return 0;
    const [cmd] = op.bytes;
    const address =
      op.bytes.length >= 5
        ? new DataView(op.bytes.buffer, op.bytes.byteOffset + 1, 4).getUint32(0, true)
        : undefined;
    if (cmd === DfuseCommand.SET_ADDRESS && address !== undefined && op.bytes.length === 5) {
      if (chip.readProtected) return fail(DfuStatus.errVENDOR);
      if (!segmentAt(this.memories[this.alt]!, address) && !chip.readable(address, 1))
        return fail(DfuStatus.errTARGET);
      this.addressPointer = address;
      return 1;
    }
    if (cmd === DfuseCommand.ERASE && op.bytes.length === 1) {
      if (chip.readProtected) return fail(DfuStatus.errVENDOR);
      chip.massErase();
      return Math.max(1, chip.timing.massEraseMs);
    }
    if (cmd === DfuseCommand.ERASE && address !== undefined && op.bytes.length === 5) {
      if (chip.readProtected) return fail(DfuStatus.errVENDOR);
      const segment = segmentAt(this.memories[this.alt]!, address);
      if (!segment?.erasable) return fail(DfuStatus.errTARGET);
      const size = chip.eraseAt(address);
      if (size === undefined) return fail(DfuStatus.errTARGET);
      return Math.max(1, chip.eraseTimeMs(size));
    }
    if (cmd === DfuseCommand.READ_UNPROTECT && op.bytes.length === 1) {
      chip.unprotect();
      queueMicrotask(() => this.onDetach?.("unprotect"));
      return Math.max(1, chip.timing.massEraseMs);
    }
    return fail(DfuStatus.errSTALLEDPKT);
  }

  private upload(block: number, length: number): DfuReply {
    if (this.state !== DfuState.dfuIDLE && this.state !== DfuState.dfuUPLOAD_IDLE) return this.stall();
    if (length > this.options.transferSize) return this.stall();
    if (block === 0) {
      this.state = DfuState.dfuUPLOAD_IDLE;
      return { stall: false, data: Uint8Array.of(0x00, 0x21, 0x41, 0x92).subarray(0, length) };
    }
    if (block === 1) return this.stall();
    const address = this.addressPointer + (block - 2) * this.options.transferSize;
    if (this.chip.readProtected) return this.stall(DfuStatus.errVENDOR);
    const segment = segmentAt(this.memories[this.alt]!, address);
    const inAlt = segment?.readable === true;
    if (!inAlt && !(this.options.uploadOutsideAlt ?? true)) return this.stall(DfuStatus.errTARGET);
    const data = this.chip.read(address, length);
    if (!data) return this.stall(DfuStatus.errTARGET);
    this.state = DfuState.dfuUPLOAD_IDLE;
    return { stall: false, data };
  }

  /** A USB reset or re-enumeration: back to the start state. */
  reset(): void {
    this.state = this.options.startInError === false ? DfuState.dfuIDLE : DfuState.dfuERROR;
    this.status = this.options.startInError === false ? DfuStatus.OK : DfuStatus.errFIRMWARE;
    this.pending = undefined;
    this.outcome = DfuStatus.OK;
    this.busyUntil = 0;
    this.alt = 0;
  }
}
