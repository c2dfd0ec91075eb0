import { createHash } from "node:crypto";
import {
  checksum,
  type DecodedCommand,
  Op,
  RomError,
  readU32,
  StubError,
  SYNC_PAYLOAD,
  u32le,
} from "../protocol/commands";
import type { EspSimulator } from "./device";
import { SECTOR } from "./flash";
import { flashBegin, flashData } from "./flash-handlers";
import { readFlashAck, readFlashSend } from "./read-flash";

const ROM_SYNC_VALUE = 0x20120707;

/** Answers one host command the way the ROM loader or the flasher stub does. */
export function handleCommand(sim: EspSimulator, cmd: DecodedCommand): void {
  const stub = sim.mode === "stub";
  const d = cmd.data;
  const fail = (code: number): void => sim.reply(cmd.op, 0, undefined, code);
  const invalid = (): void => fail(stub ? StubError.INVALID_COMMAND : RomError.INVALID_MESSAGE);
  const badLen = (): void => fail(stub ? StubError.BAD_DATA_LEN : RomError.INVALID_MESSAGE);

  if (cmd.op === -1) {
    readFlashAck(sim, d);
    return;
  }
  switch (cmd.op) {
    case Op.SYNC: {
      if (d.length !== SYNC_PAYLOAD.length || !d.every((b, i) => b === SYNC_PAYLOAD[i])) return;
      // ROM and stub both answer a SYNC with eight identical responses; the stub's value is 0.
      for (let i = 0; i < 8; i++) sim.reply(Op.SYNC, stub ? 0 : ROM_SYNC_VALUE);
      return;
    }
    case Op.READ_REG:
      if (d.length !== 4) {
        badLen();
        return;
      }
      sim.reply(Op.READ_REG, sim.regs.read(readU32(d, 0)));
      return;
    case Op.WRITE_REG: {
      if (d.length === 0 || d.length % 16 !== 0) {
        badLen();
        return;
      }
      for (let i = 0; i < d.length; i += 16)
        sim.regs.write(readU32(d, i), readU32(d, i + 4), readU32(d, i + 8));
      sim.reply(Op.WRITE_REG, 0);
      return;
    }
    case Op.MEM_BEGIN: {
      if (stub) {
        invalid();
        return;
      }
      if (d.length !== 16) {
        badLen();
        return;
      }
      const size = readU32(d, 0);
      sim.memOp = { addr: readU32(d, 12), size, blockSize: readU32(d, 8), data: new Uint8Array(size) };
      sim.reply(Op.MEM_BEGIN, 0);
      return;
    }
    case Op.MEM_DATA: {
      if (stub) {
        invalid();
        return;
      }
      const mem = sim.memOp;
      if (!mem || d.length < 16) {
        fail(RomError.INVALID_MESSAGE);
        return;
      }
      const len = readU32(d, 0);
      const block = d.subarray(16);
      if (block.length !== len) {
        fail(RomError.INVALID_MESSAGE);
        return;
      }
      if (checksum(block) !== (cmd.checksum & 0xff)) {
        fail(RomError.CHECKSUM);
        return;
      }
      const at = readU32(d, 4) * mem.blockSize;
      if (at + len > mem.size) {
        fail(RomError.INVALID_PARAM);
        return;
      }
      mem.data.set(block, at);
      sim.ram.set(mem.addr, mem.data);
      sim.reply(Op.MEM_DATA, 0);
      return;
    }
    case Op.MEM_END: {
      if (stub) {
        invalid();
        return;
      }
      if (d.length !== 8) {
        badLen();
        return;
      }
      sim.reply(Op.MEM_END, 0);
      const entry = readU32(d, 4);
      if (readU32(d, 0) === 0 && entry === sim.stub.entry && stubLoaded(sim)) sim.startStub();
      else if (readU32(d, 0) === 0) sim.mode = "hung";
      return;
    }
    case Op.SPI_ATTACH:
      sim.spiAttached = true;
      sim.reply(Op.SPI_ATTACH, 0);
      return;
    case Op.SPI_SET_PARAMS:
      sim.reply(Op.SPI_SET_PARAMS, 0);
      return;
    case Op.CHANGE_BAUDRATE: {
      if (!stub && !sim.chip.romChangeBaud) {
        invalid();
        return;
      }
      if (d.length !== 8) {
        badLen();
        return;
      }
      const baud = readU32(d, 0);
      if (baud < 9600 || baud > 5_000_000) {
        fail(stub ? StubError.BAD_DATA_LEN : RomError.INVALID_PARAM);
        return;
      }
      sim.reply(Op.CHANGE_BAUDRATE, 0);
      // The stub waits 10 ms (then 1 ms more) before it reprograms the UART divider; the ROM
      // switches as soon as its answer is out.
      if (stub && sim.clock.mode === "real") {
        const wireEnd = sim.now() + (12 * 10 * 1000) / sim.uartBaud;
        sim.at(wireEnd + 11, () => {
          sim.uartBaud = baud;
        });
      } else sim.uartBaud = baud;
      return;
    }
    case Op.GET_SECURITY_INFO: {
      // Flags, flash_crypt_cnt, 7 key purposes (all zero: no secure boot, no encryption), then on
      // the chips that report one, the chip id and the API version; the ESP32-S2 stops after 12.
      const form = sim.chip.securityInfo;
      if (form === "none") {
        invalid();
        return;
      }
      const info = new Uint8Array(form === "short" ? 12 : 20);
      if (form === "full") info.set(u32le(sim.chip.imageChipId ?? 0), 12);
      sim.reply(Op.GET_SECURITY_INFO, 0, info);
      return;
    }
    case Op.FLASH_BEGIN:
    case Op.FLASH_DEFL_BEGIN:
      flashBegin(sim, cmd);
      return;
    case Op.FLASH_DATA:
    case Op.FLASH_DEFL_DATA:
      flashData(sim, cmd);
      return;
    case Op.FLASH_END:
    case Op.FLASH_DEFL_END: {
      const op = sim.flashOp;
      const err = sim.pendingError;
      sim.pendingError = undefined;
      if (err !== undefined) {
        fail(err);
        return;
      }
      if (!op || op.deflate !== (cmd.op === Op.FLASH_DEFL_END)) {
        fail(stub ? StubError.NOT_IN_FLASH_MODE : RomError.INVALID_MESSAGE);
        return;
      }
      if (stub && op.deflate && op.written < op.size) {
        fail(StubError.NOT_ENOUGH_DATA);
        return;
      }
      sim.endFlashOp();
      const reboot = d.length >= 4 && readU32(d, 0) === 0;
      sim.reply(cmd.op, 0);
      if (reboot) sim.at(sim.now() + 1, () => sim.runApp());
      return;
    }
    case Op.SPI_FLASH_MD5: {
      if (d.length !== 16) {
        badLen();
        return;
      }
      if (!sim.spiAttached) {
        fail(stub ? StubError.FAILED_SPI_OP : RomError.INVALID_PARAM);
        return;
      }
      const addr = readU32(d, 0);
      const size = readU32(d, 4);
      if (addr + size > sim.flash.size) {
        fail(stub ? StubError.BAD_DATA_LEN : RomError.INVALID_PARAM);
        return;
      }
      const hash = createHash("md5");
      sim.flash.hash(addr, size, hash);
      const digest = hash.digest();
      if (sim.faults.wrongMd5) digest[0] = (digest[0] ?? 0) ^ 0x5a;
      const body = stub ? Uint8Array.from(digest) : new TextEncoder().encode(digest.toString("hex"));
      const t = sim.busy(sim.flash.md5Cost(size));
      sim.at(t, () => sim.reply(Op.SPI_FLASH_MD5, 0, body));
      return;
    }
    case Op.ERASE_FLASH: {
      if (!stub) {
        invalid();
        return;
      }
      const t = sim.busy(sim.flash.eraseAll());
      sim.at(t, () => sim.reply(Op.ERASE_FLASH, 0));
      return;
    }
    case Op.ERASE_REGION: {
      if (!stub) {
        invalid();
        return;
      }
      if (d.length !== 8) {
        badLen();
        return;
      }
      const offset = readU32(d, 0);
      const size = readU32(d, 4);
      if (offset % SECTOR !== 0 || size % SECTOR !== 0 || offset + size > sim.flash.size) {
        fail(StubError.BAD_DATA_LEN);
        return;
      }
      const t = sim.busy(sim.flash.erase(offset, size));
      sim.at(t, () => sim.reply(Op.ERASE_REGION, 0));
      return;
    }
    case Op.READ_FLASH: {
      if (!stub) {
        invalid();
        return;
      }
      if (d.length !== 16) {
        badLen();
        return;
      }
      const offset = readU32(d, 0);
      const length = readU32(d, 4);
      const packet = readU32(d, 8);
      const maxUnacked = readU32(d, 12);
      if (offset + length > sim.flash.size || packet === 0 || packet > 0x4000 || maxUnacked === 0) {
        fail(StubError.BAD_DATA_LEN);
        return;
      }
      sim.reply(Op.READ_FLASH, 0);
      sim.readFlash = { offset, length, sent: 0, acked: 0, packet, maxUnacked };
      readFlashSend(sim);
      return;
    }
    case Op.RUN_USER_CODE:
      if (!stub) {
        invalid();
        return;
      }
      sim.at(sim.now() + 1, () => sim.runApp());
      return;
    default:
      invalid();
      return;
  }
}

function stubLoaded(sim: EspSimulator): boolean {
  const text = sim.ram.get(sim.stub.textStart);
  const data = sim.ram.get(sim.stub.dataStart);
  return equal(text, sim.stub.text) && (sim.stub.data.length === 0 || equal(data, sim.stub.data));
}

function equal(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
