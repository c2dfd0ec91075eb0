import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSimBinding, type SimBinding } from "@factory/serial";
import { FAMILIES } from "../families";
import { SimPicoAppPort } from "./app-port";
import { SimPico, type SimPicoOptions } from "./device";
import { FakeBootselDrive } from "./fake-drive";
import { SimFlash } from "./flash";
import { type PicotoolDouble, startPicotoolDouble } from "./picotool-double/server";

export interface PicoLabOptions {
  /** Delay between a reboot and the board's re-enumeration. Default 30 ms (real boards: ~1 s). */
  reenumerateMs?: number;
  /** Bootrom delay between the last UF2 block and its reboot. Default 1000 ms, as the bootrom does. */
  rebootDelayMs?: number;
  /** Simulated flash write speed for picotool commands, bytes/s. Default 2 MB/s. */
  bytesPerSecond?: number;
}

/** The driver options that point a Pico driver at this lab instead of the host's USB. */
export interface LabDriverOptions {
  picotool: string;
  usbSysfs: string;
  mountsFile: string;
  blockClass: string;
  devDir: string;
  binding: SimBinding;
}

interface Slot {
  board: SimPico;
  drive?: FakeBootselDrive;
  tty?: string;
  block?: string;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * A simulated USB host with Raspberry Pi boards on it, laid out as Linux shows them: a sysfs tree
 * (busnum, devnum, idVendor, idProduct, serial; CDC ttys; block devices), a mounts file with the
 * BOOTSEL drives (folders with INFO_UF2.TXT that take UF2 copies), serial ports for the
 * applications' CDC consoles (1200-baud touch included), and a `picotool` executable (the test
 * double) that works on the same boards, whose flash is a file.
 *
 * @example
 * const lab = await createPicoLab();
 * const board = lab.addBoard({ location: "1-2" });
 * const driver = createPicoDriver(lab.driverOptions);
 * const session = await driver.open({ path: "usb:1-2" });
 */
export class PicoLab {
  readonly dir: string;
  readonly binding: SimBinding = createSimBinding();
  private readonly slots = new Map<string, Slot>();
  private readonly nextAddress = new Map<number, number>();
  private double: PicotoolDouble | undefined;
  private readonly reenumerateMs: number;
  private readonly rebootDelayMs: number;
  bytesPerSecond: number;

  constructor(options: PicoLabOptions = {}) {
    this.dir = mkdtempSync(path.join(tmpdir(), "pico-lab-"));
    this.reenumerateMs = options.reenumerateMs ?? 30;
    this.rebootDelayMs = options.rebootDelayMs ?? 1000;
    this.bytesPerSecond = options.bytesPerSecond ?? 2_000_000;
    for (const d of ["sys/bus/usb/devices", "sys/class/block", "media", "dev"]) {
      mkdirSync(path.join(this.dir, d), { recursive: true });
    }
    this.writeMounts();
  }

  async start(): Promise<this> {
    const lab = this;
    this.double = await startPicotoolDouble(this.dir, {
      boards: () => [...this.slots.values()].map((s) => s.board),
      reboot: (board, mode) => this.reboot(board, mode),
      get bytesPerSecond() {
        return lab.bytesPerSecond;
      },
    });
    return this;
  }

  get picotool(): PicotoolDouble {
    if (!this.double) throw new Error("PicoLab.start() was not awaited");
    return this.double;
  }

  get usbSysfs(): string {
    return path.join(this.dir, "sys/bus/usb/devices");
  }

  get driverOptions(): LabDriverOptions {
    return {
      picotool: this.picotool.tool,
      usbSysfs: this.usbSysfs,
      mountsFile: path.join(this.dir, "mounts"),
      blockClass: path.join(this.dir, "sys/class/block"),
      devDir: path.join(this.dir, "dev"),
      binding: this.binding,
    };
  }

  /** Plugs a board in at `options.location`; it enumerates in BOOTSEL (or its application). */
  addBoard(options: SimPicoOptions): SimPico {
    if (this.slots.has(options.location)) throw new Error(`a board is already at ${options.location}`);
    const flash = new SimFlash(
      path.join(this.dir, `flash-${options.location}.bin`),
      options.flashSize ?? 2 << 20,
    );
    const board = new SimPico(options, flash);
    this.slots.set(board.location, { board });
    this.enumerate(board, options.mode ?? "bootsel");
    return board;
  }

  board(location: string): SimPico | undefined {
    return this.slots.get(location)?.board;
  }

  /** The mount point of a board's BOOTSEL drive while it is in BOOTSEL. */
  drivePath(board: SimPico): string | undefined {
    return this.slots.get(board.location)?.drive?.mountPoint;
  }

  /** The serial port path of a board's application console while it runs. */
  ttyPath(board: SimPico): string | undefined {
    const tty = this.slots.get(board.location)?.tty;
    return tty ? path.join(this.dir, "dev", tty) : undefined;
  }

  /** Pulls the board's cable: it vanishes from USB until {@link plug}. */
  unplug(board: SimPico): void {
    const slot = this.slots.get(board.location);
    if (!slot) return;
    if (slot.timer) clearTimeout(slot.timer);
    this.detach(slot);
  }

  /** Plugs a pulled board back in. */
  plug(board: SimPico, mode: "bootsel" | "app" = "bootsel"): void {
    this.enumerate(board, mode);
  }

  /** Reboots a board: it leaves USB and comes back after the re-enumeration delay. */
  reboot(board: SimPico, mode: "app" | "bootsel"): void {
    const slot = this.slots.get(board.location);
    if (!slot || board.mode === "unplugged") return;
    this.detach(slot);
    slot.timer = setTimeout(() => this.enumerate(board, mode), this.reenumerateMs);
  }

  async close(): Promise<void> {
    for (const slot of this.slots.values()) {
      if (slot.timer) clearTimeout(slot.timer);
      this.detach(slot);
    }
    await this.double?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private enumerate(board: SimPico, wanted: "app" | "bootsel"): void {
    const slot = this.slots.get(board.location)!;
    slot.timer = undefined;
    // The bootrom falls back to BOOTSEL when the flash holds nothing to boot.
    board.mode = wanted === "app" && board.hasApplication ? "app" : "bootsel";
    const address = (this.nextAddress.get(board.bus) ?? 1) + 1;
    this.nextAddress.set(board.bus, address);
    board.address = address;
    const dev = path.join(this.usbSysfs, board.location);
    mkdirSync(dev, { recursive: true });
    const usb = board.usb;
    const attrs: Record<string, string> = {
      busnum: String(board.bus),
      devnum: String(address),
      idVendor: usb.vendorId.toString(16).padStart(4, "0"),
      idProduct: usb.productId.toString(16).padStart(4, "0"),
      serial: usb.serial,
      manufacturer: usb.manufacturer,
      product: usb.product,
    };
    for (const [name, value] of Object.entries(attrs)) writeFileSync(path.join(dev, name), `${value}\n`);
    if (board.mode === "app") this.attachApp(slot);
    else this.attachDrive(slot);
  }

  private attachApp(slot: Slot): void {
    const used = new Set([...this.slots.values()].map((s) => s.tty));
    let n = 0;
    while (used.has(`ttyACM${n}`)) n += 1;
    slot.tty = `ttyACM${n}`;
    mkdirSync(path.join(this.usbSysfs, `${slot.board.location}:1.0`, "tty", slot.tty), { recursive: true });
    const port = new SimPicoAppPort(slot.board, () => {
      setTimeout(() => this.reboot(slot.board, "bootsel"), 0);
    });
    this.binding.add(path.join(this.dir, "dev", slot.tty), port, {
      usb: {
        vendorId: "2e8a",
        productId: slot.board.usb.productId.toString(16).padStart(4, "0"),
        serialNumber: slot.board.flashId,
      },
    });
  }

  private attachDrive(slot: Slot): void {
    const board = slot.board;
    const used = new Set([...this.slots.values()].map((s) => s.block));
    let letter = "b";
    while (used.has(`sd${letter}`)) letter = String.fromCharCode(letter.charCodeAt(0) + 1);
    slot.block = `sd${letter}`;
    const host = letter.charCodeAt(0) - 97;
    const blockDir = path.join(
      this.usbSysfs,
      `${board.location}:1.0`,
      `host${host}`,
      `target${host}:0:0`,
      `${host}:0:0:0`,
      "block",
      slot.block,
      `${slot.block}1`,
    );
    mkdirSync(blockDir, { recursive: true });
    symlinkSync(blockDir, path.join(this.dir, "sys/class/block", `${slot.block}1`));
    const label = FAMILIES[board.family].volumeLabel;
    const mounted = new Set([...this.slots.values()].map((s) => s.drive?.mountPoint));
    let mountPoint = path.join(this.dir, "media", label);
    for (let i = 1; mounted.has(mountPoint); i += 1)
      mountPoint = path.join(this.dir, "media", `${label}${i}`);
    slot.drive = new FakeBootselDrive(mountPoint, board, () => this.reboot(board, "app"), this.rebootDelayMs);
    this.writeMounts();
  }

  private detach(slot: Slot): void {
    const board = slot.board;
    board.mode = "unplugged";
    rmSync(path.join(this.usbSysfs, board.location), { recursive: true, force: true });
    rmSync(path.join(this.usbSysfs, `${board.location}:1.0`), { recursive: true, force: true });
    if (slot.tty) {
      this.binding.remove(path.join(this.dir, "dev", slot.tty));
      slot.tty = undefined;
    }
    if (slot.block) {
      rmSync(path.join(this.dir, "sys/class/block", `${slot.block}1`), { force: true });
      slot.block = undefined;
    }
    if (slot.drive) {
      slot.drive.remove();
      slot.drive = undefined;
      this.writeMounts();
    }
  }

  private writeMounts(): void {
    const lines = ["proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0", "/dev/sda1 / ext4 rw,relatime 0 0"];
    for (const slot of this.slots.values()) {
      if (slot.drive && slot.block) {
        const mp = slot.drive.mountPoint.replace(/ /g, "\\040");
        lines.push(
          `/dev/${slot.block}1 ${mp} vfat rw,nosuid,nodev,relatime,uid=1000,gid=1000,fmask=0022 0 0`,
        );
      }
    }
    writeFileSync(path.join(this.dir, "mounts"), `${lines.join("\n")}\n`);
  }
}

/** Creates and starts a {@link PicoLab}. */
export async function createPicoLab(options: PicoLabOptions = {}): Promise<PicoLab> {
  return new PicoLab(options).start();
}
