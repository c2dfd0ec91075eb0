import { abortedError, createError, ErrorCodes, type Logger, noopLogger } from "@factory/core";
import { EspErrorCodes, PKG } from "../errors";
import { decodeResponse, encodeCommand, encodeDataBlock, OP_NAMES, StubError } from "../protocol/commands";
import { SlipDecoder, slipEncode } from "../protocol/slip";
import type { SerialLink } from "../transport/serial-link";

export interface CommandOptions {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Checksum field (only `_DATA` commands use it). */
  checksum?: number;
  /** Response data bytes that precede the status bytes. */
  dataLength?: number;
}

export interface CommandResult {
  value: number;
  /** Response data before the status bytes. */
  data: Uint8Array;
}

const ERROR_NAMES: Record<number, string> = {
  1: "invalid input parameter",
  5: "invalid message (command not supported here)",
  7: "checksum error",
  8: "flash write error",
  9: "flash read error",
  11: "deflate failed",
  [StubError.BAD_DATA_LEN]: "bad data length",
  [StubError.BAD_DATA_CHECKSUM]: "bad data checksum",
  [StubError.BAD_BLOCKSIZE]: "bad block size",
  [StubError.INVALID_COMMAND]: "invalid command",
  [StubError.FAILED_SPI_OP]: "SPI flash operation failed",
  [StubError.NOT_IN_FLASH_MODE]: "not in flash mode",
  [StubError.INFLATE_ERROR]: "inflate error",
  [StubError.NOT_ENOUGH_DATA]: "not enough data",
  [StubError.TOO_MUCH_DATA]: "too much data",
};

/**
 * The ESP serial protocol client: SLIP frames out, responses matched by opcode, status checked,
 * every wait bounded by a timeout and an AbortSignal. Knows nothing about chips; the loader
 * functions build on it.
 */
export class EspClient {
  /** Status bytes in responses: 4 for the ESP32-family ROM, 2 for the ESP8266 ROM and any stub. */
  statusLength: 2 | 4 = 2;
  /** Text the chip printed outside frames (boot log), last 2 KB. */
  noise = "";
  private frames: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  private readonly decoder: SlipDecoder;
  private lostError: Error | undefined;
  private unsubscribe: (() => void) | undefined;
  /** `performance.now()` of the last chunk received (0 before any). */
  lastInputAt = 0;

  constructor(
    readonly link: SerialLink,
    private readonly logger: Logger = noopLogger,
  ) {
    this.decoder = new SlipDecoder(
      {
        frame: (f) => {
          this.frames.push(f);
          if (this.frames.length > 256) this.frames.shift();
          this.wake();
        },
        noise: (bytes) => {
          this.noise = (this.noise + new TextDecoder("latin1").decode(bytes)).slice(-2048);
        },
      },
      0x4000 + 1024,
    );
    link.onLost((error) => {
      this.lostError = error;
      this.wake();
    });
    this.attach();
  }

  /** (Re)connects the decoder to the link (the link's one subscriber), after a console used it. */
  attach(): void {
    this.unsubscribe?.();
    this.unsubscribe = this.link.subscribe((chunk) => {
      this.lastInputAt = performance.now();
      this.decoder.push(chunk);
    });
  }

  /** Drops buffered frames and partial input (before a command whose answer must be fresh). */
  discardInput(): void {
    this.frames = [];
    this.decoder.reset();
    this.noise = "";
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  private lost(): Error {
    return (
      this.lostError ??
      createError(PKG, ErrorCodes.PORT_DISCONNECTED, `The device on ${this.link.path} disconnected`, {
        details: { port: this.link.path },
      })
    );
  }

  /** Sends raw SLIP-framed bytes (READ_FLASH acknowledgements). */
  async sendFrame(payload: Uint8Array): Promise<void> {
    if (this.lostError || this.link.lost) throw this.lost();
    await this.link.write(slipEncode(payload));
  }

  /** Waits for the next frame. Rejects `TIMEOUT`, `ABORTED` or `PORT_DISCONNECTED`. */
  async readFrame(timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<Uint8Array> {
    const end = performance.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return f;
      if (this.lostError || this.link.lost) throw this.lost();
      if (signal?.aborted) throw abortedError(signal, PKG);
      const left = end - performance.now();
      if (left <= 0) {
        throw createError(
          PKG,
          ErrorCodes.TIMEOUT,
          `No answer to ${what} from ${this.link.path} within ${timeoutMs} ms`,
          {
            details: { port: this.link.path, command: what, timeoutMs },
          },
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        const onAbort = (): void => done();
        signal?.addEventListener("abort", onAbort, { once: true });
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve();
        }
        this.waiter = done;
      });
    }
  }

  /** Sends a command and returns its response; rejects `ESP_COMMAND_FAILED` on a failure status. */
  async command(op: number, data: Uint8Array, options: CommandOptions = {}): Promise<CommandResult> {
    return this.exchange(encodeCommand(op, data, options.checksum ?? 0), op, options);
  }

  /** Sends a `_DATA` command (`len, seq, 0, 0`, block, checksum) and returns its response. */
  async dataCommand(
    op: number,
    seq: number,
    block: Uint8Array,
    options: CommandOptions = {},
  ): Promise<CommandResult> {
    return this.exchange(encodeDataBlock(op, seq, block), op, options);
  }

  private exchange(packet: Uint8Array, op: number, options: CommandOptions): Promise<CommandResult> {
    return this.exchangeFramed(slipEncode(packet), op, options);
  }

  /** Sends an already SLIP-framed command (pre-built once per batch) and awaits its response. */
  async exchangeFramed(framed: Uint8Array, op: number, options: CommandOptions = {}): Promise<CommandResult> {
    const name = OP_NAMES[op] ?? `0x${op.toString(16)}`;
    const timeoutMs = options.timeoutMs ?? 3000;
    if (this.lostError || this.link.lost) throw this.lost();
    // One command at a time: anything still queued answers an earlier, finished exchange.
    this.frames = [];
    await this.link.write(framed);
    return this.awaitResponse(op, name, timeoutMs, options);
  }

  /** Waits for the response to `op` (skipping other frames, as the ROM may repeat SYNC answers). */
  async awaitResponse(
    op: number,
    name: string,
    timeoutMs: number,
    options: CommandOptions,
  ): Promise<CommandResult> {
    const end = performance.now() + timeoutMs;
    for (let i = 0; i < 100; i++) {
      const left = Math.max(1, end - performance.now());
      const frame = await this.readFrame(left, options.signal, name);
      const resp = decodeResponse(frame);
      if (!resp) continue;
      if (resp.op !== op) continue;
      let at = options.dataLength ?? 0;
      // A failure carries no data, only the status bytes.
      if (resp.data.length < at + 2 && resp.data.length >= 2 && resp.data[0] !== 0) at = 0;
      if (resp.data.length < at + 2) {
        throw createError(PKG, ErrorCodes.PROTOCOL_ERROR, `Short answer to ${name} from ${this.link.path}`, {
          details: { port: this.link.path, command: name, length: resp.data.length },
        });
      }
      const status = resp.data[at] ?? 0;
      const error = resp.data[at + 1] ?? 0;
      if (status !== 0) {
        const reason = ERROR_NAMES[error] ?? `error 0x${error.toString(16)}`;
        this.logger.debug("command failed", { command: name, error });
        throw createError(
          PKG,
          EspErrorCodes.ESP_COMMAND_FAILED,
          `${name} failed on ${this.link.path}: ${reason}`,
          {
            details: { port: this.link.path, command: name, status, error },
            retryable: true,
          },
        );
      }
      return { value: resp.value, data: resp.data.subarray(0, at) };
    }
    throw createError(PKG, ErrorCodes.PROTOCOL_ERROR, `The chip on ${this.link.path} answers with garbage`, {
      details: { port: this.link.path, command: name },
    });
  }
}
