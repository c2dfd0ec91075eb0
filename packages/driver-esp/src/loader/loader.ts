import { createError, ErrorCodes, type Logger, sleep } from "@factory/core";
import { EspErrorCodes, PKG } from "../errors";
import { type ChipInfo, chipFromMagic, chipFromSecurityId, MAGIC_REG } from "../protocol/chips";
import { OHAI, Op, readU32, SYNC_PAYLOAD, u32le } from "../protocol/commands";
import { loadStubImage } from "../protocol/stub-image";
import type { SerialLink } from "../transport/serial-link";
import { EspClient } from "./client";

/** RAM block size for MEM_DATA (stub upload). */
export const ESP_RAM_BLOCK = 0x1800;
/** RAM block size the ROM takes over its USB-OTG CDC port. */
export const USB_OTG_RAM_BLOCK = 0x800;
/** Flash write block size (compressed bytes per FLASH_DEFL_DATA). */
export const FLASH_WRITE_SIZE = 0x4000;

const SPI_USR_COMMAND = 1 << 31;
const SPI_USR_MISO = 1 << 28;
const SPI_CMD_USR = 1 << 18;

/** Milliseconds `bytes` need on the wire at `baud`, plus a margin for host and USB latency. */
export function wireBudget(bytes: number, baud: number, marginMs = 100): number {
  return Math.ceil((bytes * 10 * 1000) / baud) + marginMs;
}

/**
 * ROM and stub operations on top of {@link EspClient}: sync, detect, register access, stub
 * upload, baud change, flash ID, MD5, compressed writes.
 */
export class EspLoader {
  readonly client: EspClient;
  chip: ChipInfo | undefined;
  /** The flasher stub is running. */
  stub = false;
  spiAttached = false;

  constructor(
    readonly link: SerialLink,
    private readonly logger: Logger,
  ) {
    this.client = new EspClient(link, logger);
  }

  get baud(): number {
    return this.link.baudRate;
  }

  /** Tries SYNC up to `attempts` times; resolves true when the chip answered. */
  async sync(attempts: number, signal?: AbortSignal): Promise<boolean> {
    for (let i = 0; i < attempts; i++) {
      this.client.discardInput();
      try {
        const r = await this.client.command(Op.SYNC, SYNC_PAYLOAD, { timeoutMs: 100, signal });
        this.stub = r.value === 0;
        return true;
      } catch (error) {
        if (!isRetryableSyncError(error)) throw error;
      }
    }
    return false;
  }

  /**
   * Reads the magic register and picks the chip; a value no chip in the table has (a later
   * revision) is looked up by the chip id GET_SECURITY_INFO reports, where the ROM has it.
   * Rejects `ESP_UNKNOWN_CHIP`.
   */
  async detect(signal?: AbortSignal): Promise<ChipInfo> {
    const magic = await this.readReg(MAGIC_REG, signal);
    let chipId: number | undefined;
    let chip = chipFromMagic(magic);
    if (!chip) {
      chipId = await this.securityChipId(signal);
      if (chipId !== undefined) chip = chipFromSecurityId(chipId);
    }
    if (!chip) {
      const id = chipId === undefined ? "" : ` and chip id ${chipId}`;
      throw createError(
        PKG,
        EspErrorCodes.ESP_UNKNOWN_CHIP,
        `The chip on ${this.link.path} reports magic 0x${magic.toString(16)}${id}, which this driver does not know`,
        { details: { port: this.link.path, magic, ...(chipId === undefined ? {} : { chipId }) } },
      );
    }
    this.chip = chip;
    this.client.statusLength = this.stub ? 2 : chip.romStatusLen;
    return chip;
  }

  /**
   * The chip id of GET_SECURITY_INFO (20-byte answer), or undefined when the ROM does not
   * implement the command (ESP8266, ESP32) or gives no chip id (ESP32-S2's 12-byte answer).
   */
  async securityChipId(signal?: AbortSignal): Promise<number | undefined> {
    // The status (2 or 4 bytes) follows the 20 data bytes; a 12-byte answer is too short.
    try {
      const r = await this.client.command(Op.GET_SECURITY_INFO, new Uint8Array(0), {
        signal,
        timeoutMs: this.timeout(48),
        dataLength: 20,
      });
      return r.data.length >= 16 ? readU32(r.data, 12) : undefined;
    } catch (error) {
      const code = (error as { code?: string }).code;
      // Refused (invalid message), a short answer, or none at all: no chip id from this ROM.
      if (
        code === EspErrorCodes.ESP_COMMAND_FAILED ||
        code === ErrorCodes.PROTOCOL_ERROR ||
        code === ErrorCodes.TIMEOUT
      ) {
        return undefined;
      }
      throw error;
    }
  }

  async readReg(addr: number, signal?: AbortSignal): Promise<number> {
    const r = await this.client.command(Op.READ_REG, u32le(addr), { signal, timeoutMs: this.timeout(16) });
    return r.value >>> 0;
  }

  /** Writes registers in one command: each entry `[addr, value]` (mask all ones, no delay). */
  async writeRegs(writes: readonly (readonly [number, number])[], signal?: AbortSignal): Promise<void> {
    const words = writes.flatMap(([addr, value]) => [addr, value, 0xffffffff, 0]);
    await this.client.command(Op.WRITE_REG, u32le(...words), {
      signal,
      timeoutMs: this.timeout(words.length * 4),
    });
  }

  /** Uploads the flasher stub to RAM and starts it; resolves after its "OHAI". */
  async runStub(signal?: AbortSignal): Promise<void> {
    const chip = this.requireChip();
    const image = await loadStubImage(chip.name);
    // The ESP32-S2/S3 ROM takes smaller RAM blocks when the host talks to it over USB-OTG.
    const ramBlock = (await this.usesUsbOtg(signal)) ? USB_OTG_RAM_BLOCK : ESP_RAM_BLOCK;
    for (const [addr, bytes] of [
      [image.textStart, image.text],
      [image.dataStart, image.data],
    ] as const) {
      if (bytes.length === 0) continue;
      const blocks = Math.ceil(bytes.length / ramBlock);
      await this.client.command(Op.MEM_BEGIN, u32le(bytes.length, blocks, ramBlock, addr), {
        signal,
        timeoutMs: this.timeout(32),
      });
      for (let seq = 0; seq < blocks; seq++) {
        const block = bytes.subarray(seq * ramBlock, (seq + 1) * ramBlock);
        await this.client.dataCommand(Op.MEM_DATA, seq, block, {
          signal,
          timeoutMs: this.timeout(block.length + 32),
        });
      }
    }
    await this.client.command(Op.MEM_END, u32le(0, image.entry), {
      signal,
      timeoutMs: this.timeout(16, 200),
    });
    const greeting = await this.client
      .readFrame(3000, signal, "the flasher stub greeting")
      .catch((error: unknown) => {
        throw createError(
          PKG,
          EspErrorCodes.ESP_STUB_FAILED,
          `The flasher stub did not start on ${this.link.path}`,
          {
            cause: error,
            details: { port: this.link.path },
          },
        );
      });
    if (greeting.length !== OHAI.length || !greeting.every((b, i) => b === OHAI[i])) {
      throw createError(
        PKG,
        EspErrorCodes.ESP_STUB_FAILED,
        `The flasher stub on ${this.link.path} did not greet`,
        {
          details: { port: this.link.path, greeting: Buffer.from(greeting).toString("hex") },
        },
      );
    }
    this.stub = true;
    this.spiAttached = true;
    this.client.statusLength = 2;
    this.logger.debug("stub running", { port: this.link.path });
  }

  /** The ROM talks over its USB-OTG CDC port (it says so in its port-number variable). */
  async usesUsbOtg(signal?: AbortSignal): Promise<boolean> {
    const otg = this.requireChip().usbOtg;
    if (!otg) return false;
    return ((await this.readReg(otg.bufNoReg, signal)) & 0xff) === otg.bufNoUsbOtg;
  }

  /** Asks the chip for `baud`, then follows on the host side. Does not check the new rate. */
  async changeBaud(baud: number, settleMs: number, signal?: AbortSignal): Promise<void> {
    const old = this.stub ? this.link.baudRate : 0;
    await this.client.command(Op.CHANGE_BAUDRATE, u32le(baud, old), { signal, timeoutMs: this.timeout(16) });
    await this.link.drain();
    await this.link.setBaudRate(baud);
    // The stub reprograms its UART 11 ms after answering; the ROM right away.
    const wait = settleMs + (this.stub ? 12 : 0);
    if (wait > 0) await sleep(wait, signal);
    this.client.discardInput();
  }

  async spiAttach(signal?: AbortSignal): Promise<void> {
    if (this.spiAttached) return;
    const chip = this.requireChip();
    if (!this.stub && !chip.romSpiAttach) {
      this.spiAttached = true;
      return;
    }
    const data = this.stub ? u32le(0) : u32le(0, 0);
    await this.client.command(Op.SPI_ATTACH, data, { signal, timeoutMs: this.timeout(16) });
    this.spiAttached = true;
  }

  /** JEDEC id of the SPI flash (RDID through the SPI peripheral registers). */
  async flashId(signal?: AbortSignal): Promise<number> {
    const spi = this.requireChip().spi;
    const reg = (off: number): number => spi.base + off;
    const oldUsr = await this.readReg(reg(spi.usr), signal);
    const oldUsr2 = await this.readReg(reg(spi.usr2), signal);
    const lengths: [number, number][] =
      spi.misoDlen !== undefined ? [[reg(spi.misoDlen), 23]] : [[reg(spi.usr1), (23 << 8) >>> 0]];
    await this.writeRegs(
      [
        ...lengths,
        [reg(spi.usr), (SPI_USR_COMMAND | SPI_USR_MISO) >>> 0],
        [reg(spi.usr2), ((7 << 28) | 0x9f) >>> 0],
        [reg(spi.w0), 0],
        [spi.base, SPI_CMD_USR],
      ],
      signal,
    );
    let done = false;
    for (let i = 0; i < 10 && !done; i++) done = ((await this.readReg(spi.base, signal)) & SPI_CMD_USR) === 0;
    if (!done) {
      throw createError(
        PKG,
        ErrorCodes.PROTOCOL_ERROR,
        `The SPI flash of ${this.link.path} does not answer RDID`,
        {
          details: { port: this.link.path },
        },
      );
    }
    const id = (await this.readReg(reg(spi.w0), signal)) & 0xffffff;
    await this.writeRegs(
      [
        [reg(spi.usr), oldUsr],
        [reg(spi.usr2), oldUsr2],
      ],
      signal,
    );
    return id;
  }

  /** MD5 of flash [addr, addr+size) as lower-case hex (ROM: ASCII answer; stub: 16 raw bytes). */
  async md5(addr: number, size: number, signal?: AbortSignal): Promise<string> {
    await this.spiAttach(signal);
    const timeoutMs = Math.max(3000, Math.ceil((8000 * size) / 1_000_000)) + this.timeout(48);
    const dataLength = this.stub ? 16 : 32;
    const r = await this.client.command(Op.SPI_FLASH_MD5, u32le(addr, size, 0, 0), {
      signal,
      timeoutMs,
      dataLength,
    });
    return this.stub ? Buffer.from(r.data).toString("hex") : new TextDecoder().decode(r.data).toLowerCase();
  }

  /** Starts a compressed write of `size` uncompressed bytes at `offset` in `blocks` blocks. */
  async flashDeflBegin(size: number, blocks: number, offset: number, signal?: AbortSignal): Promise<void> {
    const chip = this.requireChip();
    const romExtra = !this.stub && chip.romEncryptedWrite;
    // The ROM wants the size rounded up to whole blocks and erases it before answering.
    const eraseSize = this.stub ? size : Math.ceil(size / FLASH_WRITE_SIZE) * FLASH_WRITE_SIZE;
    const words = [eraseSize, blocks, FLASH_WRITE_SIZE, offset];
    if (romExtra) words.push(0);
    const timeoutMs = this.stub ? this.timeout(32) : Math.max(3000, Math.ceil((40_000 * size) / 1_000_000));
    await this.client.command(Op.FLASH_DEFL_BEGIN, u32le(...words), { signal, timeoutMs });
  }

  /** Sends one FLASH_DEFL_DATA packet, already SLIP-framed (see `prepareRegion`). */
  async flashDeflData(framed: Uint8Array, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.client.exchangeFramed(framed, Op.FLASH_DEFL_DATA, {
      signal,
      timeoutMs: timeoutMs + this.timeout(framed.length, 0),
    });
  }

  /** Ends a compressed write; `reboot` runs the app afterwards. Waits for the last block's write. */
  async flashDeflEnd(reboot: boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.client.command(Op.FLASH_DEFL_END, u32le(reboot ? 0 : 1), {
      signal,
      timeoutMs: timeoutMs + this.timeout(16),
    });
  }

  async eraseFlash(signal?: AbortSignal): Promise<void> {
    await this.client.command(Op.ERASE_FLASH, new Uint8Array(0), { signal, timeoutMs: 120_000 });
  }

  /** Starts the application from the stub (no answer expected). */
  async runUserCode(): Promise<void> {
    await this.client.sendFrame(new Uint8Array([0x00, Op.RUN_USER_CODE, 0, 0, 0, 0, 0, 0]));
    await this.link.drain();
  }

  /** Time for a command of `bytes` and its answer on the wire, plus `marginMs`. */
  timeout(bytes: number, marginMs = 500): number {
    return wireBudget(bytes + 32, this.link.baudRate, marginMs);
  }

  requireChip(): ChipInfo {
    if (!this.chip) throw createError(PKG, ErrorCodes.INTERNAL, "chip not detected yet");
    return this.chip;
  }
}

function isRetryableSyncError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return (
    code === ErrorCodes.TIMEOUT ||
    code === ErrorCodes.PROTOCOL_ERROR ||
    code === EspErrorCodes.ESP_COMMAND_FAILED
  );
}
