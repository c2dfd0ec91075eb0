import { createHash } from "node:crypto";
import { readU32 } from "../protocol/commands";
import { slipEncode } from "../protocol/slip";
import type { EspSimulator } from "./device";

/** Stub READ_FLASH streaming: packets of `packet` bytes, at most `maxUnacked` unacknowledged. */
export function readFlashSend(sim: EspSimulator): void {
  const rf = sim.readFlash;
  if (!rf) return;
  while (rf.sent < rf.length && rf.sent - rf.acked < rf.maxUnacked * rf.packet) {
    const n = Math.min(rf.packet, rf.length - rf.sent);
    sim.send(slipEncode(sim.flash.read(rf.offset + rf.sent, n)));
    rf.sent += n;
  }
}

export function readFlashAck(sim: EspSimulator, data: Uint8Array): void {
  const rf = sim.readFlash;
  if (!rf) return;
  rf.acked = Math.max(rf.acked, readU32(data, 0));
  if (rf.acked >= rf.length) {
    sim.readFlash = undefined;
    const hash = createHash("md5");
    sim.flash.hash(rf.offset, rf.length, hash);
    const digest = hash.digest();
    sim.send(slipEncode(Uint8Array.from(digest)));
    return;
  }
  readFlashSend(sim);
}
