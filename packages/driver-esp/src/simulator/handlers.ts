import { createHash } from "node:crypto";
import { Inflate } from "pako";
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
import { slipEncode } from "../protocol/slip";
import type { EspSimulator, FlashOp } from "./device";
import { BLOCK, SECTOR } from "./flash";

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
      sim.uartBaud = baud;
      return;
    }
    case Op.GET_SECURITY_INFO: {
      const id = sim.chip.imageChipId;
      if (sim.chip.family === "esp32" || sim.chip.family === "esp8266" || id === undefined) {
        invalid();
        return;
      }
      const info = new Uint8Array(20);
      info.set(u32le(id), 12);
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
      sim.flashOp = undefined;
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
      const digest = createHash("md5")
        .update(sim.flash.bytes.subarray(addr, addr + size))
        .digest();
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

function flashBegin(sim: EspSimulator, cmd: DecodedCommand): void {
  const stub = sim.mode === "stub";
  const d = cmd.data;
  const deflate = cmd.op === Op.FLASH_DEFL_BEGIN;
  // The stub takes exactly four words; ROMs after the ESP32 also take a fifth (encrypted flag).
  if (stub ? d.length !== 16 : d.length !== 16 && d.length !== 20) {
    sim.reply(cmd.op, 0, undefined, stub ? StubError.BAD_DATA_LEN : RomError.INVALID_MESSAGE);
    return;
  }
  if (stub && readU32(d, 8) > 0x4000) {
    sim.reply(cmd.op, 0, undefined, StubError.BAD_BLOCKSIZE);
    return;
  }
  if (!sim.spiAttached && sim.chip.romSpiAttach) {
    sim.reply(cmd.op, 0, undefined, RomError.INVALID_PARAM);
    return;
  }
  const size = readU32(d, 0);
  const blocks = readU32(d, 4);
  const blockSize = readU32(d, 8);
  const offset = readU32(d, 12);
  if (offset + size > sim.flash.size || blockSize === 0 || blockSize > 0x10000) {
    sim.reply(cmd.op, 0, undefined, stub ? StubError.BAD_DATA_LEN : RomError.INVALID_PARAM);
    return;
  }
  const eraseSize = deflate ? size : size;
  const op: FlashOp = {
    deflate,
    offset,
    // The stub writes exactly `size` bytes (the last block's padding is trimmed); the ROM whole blocks.
    size: deflate || stub ? size : blocks * blockSize,
    written: 0,
    blocks,
    blockSize,
    eraseCursor: offset,
    eraseEnd: offset + eraseSize,
  };
  if (deflate) op.inflate = new Inflate();
  sim.flashOp = op;
  sim.pendingError = undefined;
  if (stub) {
    // The stub answers at once and erases ahead in idle time while data arrives.
    sim.reply(cmd.op, 0);
    return;
  }
  // The ROM erases the whole region before it answers.
  const t = sim.busy(sim.flash.erase(offset, eraseSize));
  op.eraseCursor = op.eraseEnd;
  sim.at(t, () => sim.reply(cmd.op, 0));
}

function flashData(sim: EspSimulator, cmd: DecodedCommand): void {
  const stub = sim.mode === "stub";
  const d = cmd.data;
  const op = sim.flashOp;
  const fail = (code: number): void => sim.reply(cmd.op, 0, undefined, code);
  if (!op || op.deflate !== (cmd.op === Op.FLASH_DEFL_DATA)) {
    fail(stub ? StubError.NOT_IN_FLASH_MODE : RomError.INVALID_MESSAGE);
    return;
  }
  if (d.length < 16) {
    fail(stub ? StubError.BAD_DATA_LEN : RomError.INVALID_MESSAGE);
    return;
  }
  const len = readU32(d, 0);
  const block = d.subarray(16);
  if (block.length !== len) {
    fail(stub ? StubError.BAD_DATA_LEN : RomError.INVALID_MESSAGE);
    return;
  }
  if (checksum(block) !== (cmd.checksum & 0xff)) {
    fail(stub ? StubError.BAD_DATA_CHECKSUM : RomError.CHECKSUM);
    return;
  }
  const earlier = sim.pendingError;
  if (earlier !== undefined) {
    sim.pendingError = undefined;
    fail(earlier);
    return;
  }
  if (stub) {
    // Acknowledge on receipt, then write while the host sends the next block.
    eraseAheadUntil(sim, op, sim.now());
    sim.reply(cmd.op, 0);
    const { error } = writeBlock(sim, op, block);
    if (error !== undefined) sim.pendingError = error;
    // The CPU stays busy until the flash chip has taken the last page of this block.
    if (sim.clock.mode === "real") sim.busyUntil = Math.max(sim.busyUntil, sim.flashFree);
    return;
  }
  const { ms, error } = writeBlock(sim, op, block);
  const t = sim.busy(ms);
  sim.at(t, () => sim.reply(cmd.op, 0, undefined, error ?? 0));
}

/**
 * While it waits for data the stub keeps the flash chip erasing ahead of the write position
 * (64 KiB blocks where aligned, else sectors); an erase runs inside the flash chip, so it
 * overlaps with the UART. Issues every erase that would have started before `until`.
 */
function eraseAheadUntil(sim: EspSimulator, op: FlashOp, until: number): void {
  if (sim.clock.mode !== "real") return;
  let issue = Math.max(sim.flashFree, sim.busyUntil);
  while (op.eraseCursor < op.eraseEnd && issue < until) {
    const start = op.eraseCursor;
    const n = start % BLOCK === 0 && op.eraseEnd - start >= BLOCK ? BLOCK : SECTOR;
    sim.flashFree = issue + sim.flash.erase(start, n);
    op.eraseCursor += n;
    issue = sim.flashFree;
  }
}

function writeBlock(sim: EspSimulator, op: FlashOp, block: Uint8Array): { ms: number; error?: number } {
  let out: Uint8Array[] = [];
  if (op.inflate) {
    const inflate = op.inflate;
    inflate.onData = (chunk: Uint8Array) => {
      out.push(chunk);
    };
    inflate.push(block, false);
    if (inflate.err)
      return { ms: 0, error: sim.mode === "stub" ? StubError.INFLATE_ERROR : RomError.DEFLATE };
  } else out = [sim.mode === "stub" ? block.subarray(0, Math.max(0, op.size - op.written)) : block];
  let ms = 0;
  for (const chunk of out) {
    if (op.written + chunk.length > op.size) {
      return { ms, error: sim.mode === "stub" ? StubError.TOO_MUCH_DATA : RomError.INVALID_PARAM };
    }
    const at = op.offset + op.written;
    const need = at + chunk.length;
    // Erase what this chunk needs that the idle-time erase did not reach, in 64 KiB blocks where
    // aligned and in 4 KiB sectors otherwise (as the stub does).
    while (op.eraseCursor < need && op.eraseCursor < op.eraseEnd) {
      const start = op.eraseCursor;
      const n = start % BLOCK === 0 && op.eraseEnd - start >= BLOCK ? BLOCK : SECTOR;
      const cost = sim.flash.erase(start, n);
      ms += cost;
      sim.flashFree = Math.max(sim.flashFree, sim.now()) + cost;
      op.eraseCursor += n;
    }
    const cost = sim.flash.program(at, chunk);
    ms += cost;
    sim.flashFree = Math.max(sim.flashFree, sim.now()) + cost;
    const stuck = sim.faults.stuckBitAt;
    if (stuck !== undefined && stuck >= at && stuck < need)
      sim.flash.bytes[stuck] = (sim.flash.bytes[stuck] ?? 0) | 1;
    op.written += chunk.length;
    const resetAt = sim.faults.resetAtFlashByte;
    if (resetAt !== undefined && sim.flash.programmed >= resetAt) {
      sim.faults.resetAtFlashByte = undefined;
      sim.resetNow("brownout");
      return { ms };
    }
  }
  return { ms };
}

function readFlashSend(sim: EspSimulator): void {
  const rf = sim.readFlash;
  if (!rf) return;
  while (rf.sent < rf.length && rf.sent - rf.acked < rf.maxUnacked * rf.packet) {
    const n = Math.min(rf.packet, rf.length - rf.sent);
    sim.send(slipEncode(sim.flash.read(rf.offset + rf.sent, n)));
    rf.sent += n;
  }
}

function readFlashAck(sim: EspSimulator, data: Uint8Array): void {
  const rf = sim.readFlash;
  if (!rf) return;
  rf.acked = Math.max(rf.acked, readU32(data, 0));
  if (rf.acked >= rf.length) {
    sim.readFlash = undefined;
    const digest = createHash("md5")
      .update(sim.flash.bytes.subarray(rf.offset, rf.offset + rf.length))
      .digest();
    sim.send(slipEncode(Uint8Array.from(digest)));
    return;
  }
  readFlashSend(sim);
}
