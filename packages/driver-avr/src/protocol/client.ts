import { ErrorCodes, isFactoryError, type SignalOptions } from "@factory/core";
import type { SerialLink } from "@factory/serial";
import { avrError } from "../errors";
import { encode, type MemoryType, Stk } from "./stk500";

export interface Stk500ClientOptions {
  /** Reply timeout per command, ms. Default 500 (optiboot answers in microseconds; pages take ~5 ms). */
  timeoutMs?: number;
  /** Parts above 128 KiB (ATmega2560): send the extended address byte before every LOAD_ADDRESS. */
  extendedAddressing?: boolean;
}

/**
 * STK500v1 commands as optiboot answers them, over a {@link SerialLink}. Every command waits for
 * `14 … 10`; a different first byte is `PROTOCOL_ERROR` (`SYNC_FAILED` for GET_SYNC), silence is
 * `TIMEOUT`. Address handling (word addresses, the extended byte above 128 KiB) lives here.
 */
export class Stk500Client {
  /** `performance.now()` of the last reply, to know whether the bootloader's watchdog still waits. */
  lastReplyAt = 0;
  private readonly timeoutMs: number;
  private readonly extended: boolean;

  constructor(
    readonly link: SerialLink,
    options: Stk500ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 500;
    this.extended = options.extendedAddressing ?? false;
  }

  /** Sends `command` and reads `14`, `payload` bytes, `10`. Several commands may be sent at once. */
  private async exchange(
    name: string,
    command: Uint8Array,
    payload: number,
    options: SignalOptions & { timeoutMs?: number } = {},
  ): Promise<Uint8Array> {
    await this.link.write(command, options);
    return this.expectReply(name, payload, options);
  }

  private async expectReply(
    name: string,
    payload: number,
    options: SignalOptions & { timeoutMs?: number },
  ): Promise<Uint8Array> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const first = await this.link.read(1, { signal: options.signal, timeoutMs });
    if (first[0] !== Stk.INSYNC) {
      throw avrError(
        name === "GET_SYNC" ? ErrorCodes.SYNC_FAILED : ErrorCodes.PROTOCOL_ERROR,
        `${name} on ${this.link.path}: expected INSYNC (0x14), got 0x${hex(first[0]!)}`,
        { details: { command: name, port: this.link.path, received: first[0] } },
      );
    }
    const rest = await this.link.read(payload + 1, { signal: options.signal, timeoutMs });
    if (rest[payload] !== Stk.OK) {
      throw avrError(
        ErrorCodes.PROTOCOL_ERROR,
        `${name} on ${this.link.path}: expected OK (0x10) after ${payload} bytes, got 0x${hex(rest[payload]!)}`,
        { details: { command: name, port: this.link.path, received: rest[payload] } },
      );
    }
    this.lastReplyAt = performance.now();
    return rest.subarray(0, payload);
  }

  /** One GET_SYNC exchange. */
  async sync(options: SignalOptions & { timeoutMs?: number } = {}): Promise<void> {
    await this.exchange("GET_SYNC", encode.getSync(), 0, options);
  }

  async getParameter(param: number, options: SignalOptions = {}): Promise<number> {
    const [value] = await this.exchange("GET_PARAMETER", encode.getParameter(param), 1, options);
    return value!;
  }

  async enterProgmode(options: SignalOptions = {}): Promise<void> {
    await this.exchange("ENTER_PROGMODE", encode.enterProgmode(), 0, options);
  }

  async leaveProgmode(options: SignalOptions = {}): Promise<void> {
    await this.exchange("LEAVE_PROGMODE", encode.leaveProgmode(), 0, options);
  }

  async readSignature(options: SignalOptions = {}): Promise<Uint8Array> {
    return Uint8Array.from(await this.exchange("READ_SIGN", encode.readSign(), 3, options));
  }

  /**
   * Commands that set the address for byte address `address`: on parts above 128 KiB the
   * UNIVERSAL "load extended address" (byte address bits 17+, into RAMPZ above bit 0), then
   * LOAD_ADDRESS with the 16-bit word address (its bit 15 is byte address bit 16). Returns the
   * bytes and the payload length of each reply they produce.
   */
  private addressCommands(address: number): { bytes: Uint8Array[]; replies: number[] } {
    const word = address >> 1;
    const bytes: Uint8Array[] = [];
    const replies: number[] = [];
    if (this.extended) {
      bytes.push(encode.universal(Stk.AVR_OP_LOAD_EXT_ADDR, 0x00, (address >> 17) & 0xff, 0x00));
      replies.push(1);
    }
    bytes.push(encode.loadAddress(word & 0xffff));
    replies.push(0);
    return { bytes, replies };
  }

  /**
   * Writes one page at byte `address` (page-aligned, `data.length` = page size). LOAD_ADDRESS and
   * PROG_PAGE go out in one write: optiboot handles LOAD_ADDRESS in microseconds while PROG_PAGE
   * arrives, so this saves a round trip per page without overrunning its UART.
   */
  async writePage(address: number, data: Uint8Array, memory: MemoryType = "F", options: SignalOptions = {}) {
    const { bytes, replies } = this.addressCommands(address);
    bytes.push(encode.progPage(memory, data));
    await this.link.write(concat(bytes), options);
    for (const payload of replies) await this.expectReply("LOAD_ADDRESS", payload, options);
    await this.expectReply("PROG_PAGE", 0, options);
  }

  /** Reads `length` bytes at byte `address` (one READ_PAGE; at most 256 bytes for optiboot). */
  async readPage(address: number, length: number, memory: MemoryType = "F", options: SignalOptions = {}) {
    const { bytes, replies } = this.addressCommands(address);
    bytes.push(encode.readPage(memory, length));
    await this.link.write(concat(bytes), options);
    for (const payload of replies) await this.expectReply("LOAD_ADDRESS", payload, options);
    return Uint8Array.from(await this.expectReply("READ_PAGE", length, options));
  }
}

/** True for errors that mean "no bootloader answered" rather than a broken link. */
export function isNoAnswer(error: unknown): boolean {
  return isFactoryError(error, [ErrorCodes.TIMEOUT, ErrorCodes.SYNC_FAILED, ErrorCodes.PROTOCOL_ERROR]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
