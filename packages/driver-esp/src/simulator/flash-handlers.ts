import { checksum, type DecodedCommand, Op, RomError, readU32, StubError } from "../protocol/commands";
import type { EspSimulator, FlashOp } from "./device";
import { BLOCK, SECTOR } from "./flash";
import { createStreamInflater } from "./inflater";

/** FLASH_BEGIN / FLASH_DEFL_BEGIN and the data commands, as the ROM and the stub handle them. */
export function flashBegin(sim: EspSimulator, cmd: DecodedCommand): void {
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
  if (deflate) op.inflate = createStreamInflater();
  sim.endFlashOp(op);
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

export function flashData(sim: EspSimulator, cmd: DecodedCommand): void {
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
  let out: Uint8Array[];
  if (op.inflate) {
    const step = op.inflate.push(block);
    if (step.error) return { ms: 0, error: sim.mode === "stub" ? StubError.INFLATE_ERROR : RomError.DEFLATE };
    out = step.chunks;
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
      sim.flash.write(stuck, Uint8Array.of(sim.flash.byteAt(stuck) | 1));
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
