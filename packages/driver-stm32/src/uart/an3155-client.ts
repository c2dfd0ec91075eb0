import { ErrorCodes, isFactoryError, type Logger, noopLogger, throwIfAborted } from "@factory/core";
import type { SerialLink } from "@factory/serial";
import { hex, PKG, Stm32ErrorCodes, stm32Error } from "../errors";
import { ACK, addressFrame, Cmd, NACK, SYNC, xorAll } from "./constants";

/** Time bounds, ms (stm32flash's values where it has them). */
export interface An3155Timeouts {
  /** One ACK after a command byte pair or an address. */
  ack: number;
  /** A Write Memory block being programmed. */
  write: number;
  /** Per page or sector of a page erase. */
  erasePerPage: number;
  /** Mass erase and readout unprotect. */
  massErase: number;
}

export const DEFAULT_AN3155_TIMEOUTS: An3155Timeouts = {
  ack: 1000,
  write: 1000,
  erasePerPage: 5000,
  massErase: 35_000,
};

export interface BootloaderInfo {
  version: number;
  commands: number[];
}

/**
 * The host side of ST's UART bootloader protocol (AN3155) on a {@link SerialLink}: every command
 * is the opcode and its complement, addresses are MSB first with an XOR, data blocks carry N-1 and
 * an XOR, and every step waits for ACK (0x79). A NACK (0x1F) is `STM32_NACK` naming the step.
 */
export class An3155Client {
  readonly timeouts: An3155Timeouts;
  private readonly logger: Logger;

  constructor(
    readonly link: SerialLink,
    readonly where: string,
    options: { timeouts?: Partial<An3155Timeouts>; logger?: Logger; pipelineWrites?: boolean } = {},
  ) {
    this.timeouts = { ...DEFAULT_AN3155_TIMEOUTS, ...options.timeouts };
    this.logger = options.logger ?? noopLogger;
    this.pipelineWrites = options.pipelineWrites ?? true;
  }

  /**
   * Send a Write Memory's command and address in one burst (two ACKs read afterwards), instead of
   * waiting for the command's ACK first. The data block still waits for the address ACK. See
   * {@link An3155Client.writeMemory}.
   */
  pipelineWrites: boolean;

  /**
   * 0x7F autobaud. ACK: synchronised; NACK: the bootloader was already synchronised (a previous
   * session did not end cleanly), which is fine. No answer after `attempts` tries is `SYNC_FAILED`.
   */
  async sync(options: { attempts?: number; signal?: AbortSignal } = {}): Promise<void> {
    const attempts = options.attempts ?? 3;
    for (let i = 0; i < attempts; i++) {
      throwIfAborted(options.signal, PKG);
      await this.link.flushInput({ signal: options.signal });
      await this.link.write(Uint8Array.of(SYNC), { signal: options.signal });
      try {
        const [reply] = await this.link.read(1, { timeoutMs: 500, signal: options.signal });
        if (reply === ACK) return;
        if (reply === NACK) {
          this.logger.debug("bootloader was already synchronised", { where: this.where });
          return;
        }
        this.logger.debug("unexpected reply to 0x7F", { reply });
      } catch (error) {
        if (!isFactoryError(error, ErrorCodes.TIMEOUT)) throw error;
      }
    }
    throw stm32Error(
      ErrorCodes.SYNC_FAILED,
      `No answer to 0x7F from the STM32 bootloader on ${this.where} (is BOOT0 high, the part reset, and the line 8E1?)`,
      { details: { port: this.where, attempts } },
    );
  }

  private async ack(step: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const [reply] = await this.link.read(1, { timeoutMs, signal });
    if (reply === ACK) return;
    if (reply === NACK) {
      throw stm32Error(
        Stm32ErrorCodes.STM32_NACK,
        `The STM32 bootloader on ${this.where} refused ${step} (NACK)`,
        {
          details: { step },
        },
      );
    }
    throw stm32Error(
      ErrorCodes.PROTOCOL_ERROR,
      `Unexpected byte ${hex(reply ?? 0, 2)} instead of ACK after ${step} on ${this.where}`,
      {
        details: { step, reply },
      },
    );
  }

  private async command(op: number, name: string, signal?: AbortSignal): Promise<void> {
    await this.link.write(Uint8Array.of(op, op ^ 0xff), { signal });
    await this.ack(name, this.timeouts.ack, signal);
  }

  private async readBytes(n: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.link.read(n, { timeoutMs: this.timeouts.ack, signal });
  }

  /** Get (0x00): version and supported commands. */
  async get(signal?: AbortSignal): Promise<BootloaderInfo> {
    await this.command(Cmd.GET, "Get", signal);
    const [n] = await this.readBytes(1, signal);
    const body = await this.readBytes(n! + 1, signal);
    await this.ack("Get (end)", this.timeouts.ack, signal);
    return { version: body[0]!, commands: [...body.subarray(1)] };
  }

  /** Get Version & read protection status (0x01). */
  async getVersion(signal?: AbortSignal): Promise<{ version: number; option1: number; option2: number }> {
    await this.command(Cmd.GET_VERSION, "Get Version", signal);
    const b = await this.readBytes(3, signal);
    await this.ack("Get Version (end)", this.timeouts.ack, signal);
    return { version: b[0]!, option1: b[1]!, option2: b[2]! };
  }

  /** Get ID (0x02): the product ID. */
  async getId(signal?: AbortSignal): Promise<number> {
    await this.command(Cmd.GET_ID, "Get ID", signal);
    const [n] = await this.readBytes(1, signal);
    const body = await this.readBytes(n! + 1, signal);
    await this.ack("Get ID (end)", this.timeouts.ack, signal);
    return ((body[0]! << 8) | (body[1] ?? 0)) & 0xffff;
  }

  /** Read Memory (0x11), 1–256 bytes. A NACK to the command itself means read protection. */
  async readMemory(address: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (length < 1 || length > 256)
      throw stm32Error(ErrorCodes.INVALID_ARGUMENT, `Cannot read ${length} bytes at once`);
    try {
      await this.command(Cmd.READ_MEMORY, "Read Memory", signal);
    } catch (error) {
      if (isFactoryError(error, Stm32ErrorCodes.STM32_NACK)) {
        throw stm32Error(
          ErrorCodes.READ_PROTECTED,
          `The part on ${this.where} is read-protected (RDP); memory cannot be read`,
          {
            cause: error,
            retryable: false,
          },
        );
      }
      throw error;
    }
    await this.link.write(addressFrame(address), { signal });
    await this.ack(`the read address ${hex(address)}`, this.timeouts.ack, signal);
    const n = length - 1;
    await this.link.write(Uint8Array.of(n, n ^ 0xff), { signal });
    await this.ack("the read length", this.timeouts.ack, signal);
    return this.link.read(length, { timeoutMs: this.timeouts.ack + length, signal });
  }

  /**
   * Write Memory (0x31), 1–256 bytes at a 4-byte aligned address; padded to 4 with 0xFF.
   *
   * With `pipelineWrites`, command and address go out in one burst, which saves a round trip per
   * block. The data block is never sent before the address is acknowledged: the bootloader reads
   * whatever follows a refused step as new commands, and 256 bytes of image then contain
   * opcode/complement pairs (0x82 0x7D, Readout Protect, needs no further byte) often enough to
   * matter. Nor does the next command go out before the data block's ACK: the bootloader does not
   * read its USART while it programs, so bytes sent then are lost (overrun). An address whose
   * bytes themselves form an opcode pair is sent on its own, so a refused command can never turn
   * the address into one.
   */
  async writeMemory(address: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    if (data.length < 1 || data.length > 256)
      throw stm32Error(ErrorCodes.INVALID_ARGUMENT, `Cannot write ${data.length} bytes at once`);
    if (address % 4 !== 0)
      throw stm32Error(ErrorCodes.INVALID_ARGUMENT, `Write address ${hex(address)} is not 4-byte aligned`);
    const padded =
      data.length % 4 === 0
        ? data
        : Uint8Array.from({ length: data.length + 4 - (data.length % 4) }, (_, i) => data[i] ?? 0xff);
    const n = padded.length - 1;
    const block = new Uint8Array(padded.length + 2);
    block[0] = n;
    block.set(padded, 1);
    block[block.length - 1] = xorAll(padded, n);
    const command = Uint8Array.of(Cmd.WRITE_MEMORY, Cmd.WRITE_MEMORY ^ 0xff);
    const addressBytes = addressFrame(address);
    const burst = new Uint8Array(2 + addressBytes.length);
    burst.set(command, 0);
    burst.set(addressBytes, 2);
    if (this.pipelineWrites && !formsOpcodePair(burst.subarray(1))) {
      await this.link.write(burst, { signal });
      try {
        await this.ack("Write Memory", this.timeouts.ack, signal);
      } catch (error) {
        if (isFactoryError(error, Stm32ErrorCodes.STM32_NACK)) await this.realign(addressBytes, signal);
        throw error;
      }
    } else {
      await this.link.write(command, { signal });
      await this.ack("Write Memory", this.timeouts.ack, signal);
      await this.link.write(addressBytes, { signal });
    }
    await this.ack(`the write address ${hex(address)}`, this.timeouts.ack, signal);
    await this.link.write(block, { signal });
    await this.ack(`the data block at ${hex(address)}`, this.timeouts.write + this.timeouts.ack, signal);
  }

  /**
   * After a refused command whose address went out with it: the bootloader took the address bytes
   * as two refused commands and holds the checksum byte as the start of a third. One more byte
   * equal to it cannot complete an opcode pair (x ^ x = 0), so the bootloader refuses that too and
   * waits for a command again; the three NACKs are then discarded.
   */
  private async realign(addressBytes: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.link.write(addressBytes.subarray(4, 5), { signal });
    await this.link.read(3, { timeoutMs: this.timeouts.ack, signal }).catch(() => undefined);
    await this.link.flushInput({ signal });
  }

  /** Erases pages or sectors by number with Extended Erase (0x44) or the legacy Erase (0x43). */
  async erasePages(pages: readonly number[], extended: boolean, signal?: AbortSignal): Promise<void> {
    const batch = extended ? 256 : 255;
    for (let at = 0; at < pages.length; at += batch) {
      const list = pages.slice(at, at + batch);
      const timeout = this.timeouts.erasePerPage * list.length + this.timeouts.ack;
      if (extended) {
        await this.command(Cmd.EXTENDED_ERASE, "Extended Erase", signal);
        const n = list.length - 1;
        const bytes = [n >> 8, n & 0xff, ...list.flatMap((p) => [p >> 8, p & 0xff])];
        await this.link.write(Uint8Array.of(...bytes, xorAll(bytes)), { signal });
      } else {
        await this.command(Cmd.ERASE, "Erase", signal);
        const bytes = [list.length - 1, ...list];
        await this.link.write(Uint8Array.of(...bytes, xorAll(bytes)), { signal });
      }
      await this.ack(`the erase of ${list.length} page(s)`, timeout, signal);
    }
  }

  /** Erases the whole flash. */
  async massErase(extended: boolean, signal?: AbortSignal): Promise<void> {
    if (extended) {
      await this.command(Cmd.EXTENDED_ERASE, "Extended Erase", signal);
      await this.link.write(Uint8Array.of(0xff, 0xff, 0x00), { signal });
    } else {
      await this.command(Cmd.ERASE, "Erase", signal);
      await this.link.write(Uint8Array.of(0xff, 0x00), { signal });
    }
    await this.ack("the mass erase", this.timeouts.massErase, signal);
  }

  /** Go (0x21): the part jumps to the vector table at `address`. */
  async go(address: number, signal?: AbortSignal): Promise<void> {
    await this.command(Cmd.GO, "Go", signal);
    await this.link.write(addressFrame(address), { signal });
    await this.ack(`the Go address ${hex(address)}`, this.timeouts.ack, signal);
  }

  /** Readout Unprotect (0x92): mass-erases the part and removes RDP; the part then resets. */
  async readoutUnprotect(signal?: AbortSignal): Promise<void> {
    await this.command(Cmd.READOUT_UNPROTECT, "Readout Unprotect", signal);
    await this.ack("the readout unprotect (mass erase)", this.timeouts.massErase, signal);
  }
}

/**
 * True when two adjacent bytes of `frame` are a byte and its complement: what the bootloader
 * would take for a command if it read them as one (at either alignment, in case a byte was lost).
 */
export function formsOpcodePair(frame: Uint8Array): boolean {
  for (let i = 0; i + 1 < frame.length; i++) if ((frame[i]! ^ frame[i + 1]!) === 0xff) return true;
  return false;
}
