import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { FAMILIES, UF2_FAMILY_IDS } from "../families";
import type { SimPico } from "./device";
import { PAGE_SIZE, SECTOR_SIZE } from "./flash";

const MAGIC0 = 0x0a324655;
const MAGIC1 = 0x9e5d5157;
const MAGIC_END = 0x0ab16f30;
const IGNORE_BLOCK_TAG = 0x9957e304;

/**
 * The BOOTSEL mass-storage drive of a simulated board, as a folder: INFO_UF2.TXT and INDEX.HTM,
 * and every file copied onto it is fed to the bootrom's block rules (as `vd_write_block` applies
 * them): only blocks with both magics, the family id of this chip, 256-byte payloads inside flash
 * or RAM are written; each 4 KB sector is erased once per transfer; a change of numBlocks starts a
 * new transfer; once every block has arrived the board reboots after `rebootDelayMs`.
 */
export class FakeBootselDrive {
  private readonly consumed = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private transfer: { numBlocks: number; seen: Set<number>; erased: Set<number> } | undefined;
  private rebooting = false;
  /** Blocks written to flash so far (all transfers). */
  blocksWritten = 0;

  constructor(
    readonly mountPoint: string,
    private readonly board: SimPico,
    private readonly onComplete: (target: "flash" | "ram") => void,
    private readonly rebootDelayMs: number,
  ) {
    mkdirSync(mountPoint, { recursive: true });
    const info = FAMILIES[board.family];
    const version = board.family === "rp2040" ? "3.0" : "1.0";
    writeFileSync(
      path.join(mountPoint, "INFO_UF2.TXT"),
      `UF2 Bootloader v${version}\r\nModel: ${info.model}\r\nBoard-ID: ${info.volumeLabel}\r\n`,
    );
    writeFileSync(
      path.join(mountPoint, "INDEX.HTM"),
      "<html><head><meta http-equiv=\"refresh\" content=\"0;URL='https://raspberrypi.com/device/RP2?version=E0C9125B0D9B'\"/></head><body>Redirecting to <a href='https://raspberrypi.com/device/RP2?version=E0C9125B0D9B'>raspberrypi.com</a></body></html>\r\n",
    );
    this.timer = setInterval(() => this.scan(), 10);
  }

  /** Takes the folder away (the board left BOOTSEL or was unplugged). */
  remove(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    rmSync(this.mountPoint, { recursive: true, force: true });
  }

  private scan(): void {
    if (this.rebooting) return;
    let names: string[];
    try {
      names = readdirSync(this.mountPoint);
    } catch {
      return;
    }
    for (const name of names) {
      if (name === "INFO_UF2.TXT" || name === "INDEX.HTM") continue;
      let bytes: Buffer;
      try {
        bytes = readFileSync(path.join(this.mountPoint, name));
      } catch {
        continue;
      }
      let at = this.consumed.get(name) ?? 0;
      while (at + 512 <= bytes.length && !this.rebooting) {
        this.block(bytes.subarray(at, at + 512));
        at += 512;
      }
      this.consumed.set(name, at);
    }
  }

  private block(b: Buffer): void {
    if (b.readUInt32LE(0) !== MAGIC0 || b.readUInt32LE(4) !== MAGIC1 || b.readUInt32LE(508) !== MAGIC_END)
      return;
    const flags = b.readUInt32LE(8);
    const target = b.readUInt32LE(12);
    const payloadSize = b.readUInt32LE(16);
    const blockNo = b.readUInt32LE(20);
    const numBlocks = b.readUInt32LE(24);
    const family = b.readUInt32LE(28);
    const info = FAMILIES[this.board.family];
    if ((flags & 0x2000) === 0 || (flags & 1) !== 0) return;
    if ((flags & 0x8000) !== 0 && b.readUInt32LE(32 + payloadSize) === IGNORE_BLOCK_TAG) return;
    const accepted = this.board.family === "rp2040" ? [UF2_FAMILY_IDS.RP2040] : info.acceptedFamilyIds;
    if (!accepted.includes(family) || payloadSize !== PAGE_SIZE || numBlocks === 0 || blockNo >= numBlocks)
      return;
    const flashEnd = info.flashBase + this.board.flash.size;
    const inFlash = target >= info.flashBase && target + PAGE_SIZE <= flashEnd && target % PAGE_SIZE === 0;
    const inRam = target >= info.ram[0] && target + PAGE_SIZE <= info.ram[1];
    if (!inFlash && !inRam) return;
    if (!this.transfer || this.transfer.numBlocks !== numBlocks) {
      this.transfer = { numBlocks, seen: new Set(), erased: new Set() };
    }
    if (inFlash) {
      const offset = target - info.flashBase;
      const sector = offset - (offset % SECTOR_SIZE);
      if (!this.transfer.erased.has(sector)) {
        this.board.flash.eraseSector(sector);
        this.transfer.erased.add(sector);
      }
      this.board.flash.program(offset, b.subarray(32, 32 + PAGE_SIZE));
      this.blocksWritten += 1;
    }
    this.transfer.seen.add(blockNo);
    if (this.transfer.seen.size === numBlocks) {
      this.rebooting = true;
      setTimeout(() => this.onComplete(inFlash ? "flash" : "ram"), this.rebootDelayMs);
    }
  }
}
