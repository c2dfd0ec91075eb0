import type { SimPico } from "../device";

/** picotool's progress bar: 30 columns, redrawn with `\r` at each percent. */
export class Bar {
  private percent = -1;

  constructor(
    private readonly prefix: string,
    private readonly out: (text: string) => void,
  ) {
    this.update(0);
  }

  update(percent: number): void {
    const p = Math.max(0, Math.min(100, Math.floor(percent)));
    if (p === this.percent) return;
    this.percent = p;
    const len = Math.floor((30 * p) / 100);
    this.out(`${this.prefix}[${"=".repeat(len)}${" ".repeat(30 - len)}]  ${p}%\r`);
  }

  end(): void {
    this.out("\n");
  }
}

/** `RP2040 device at bus 1, address 7` */
export function deviceName(board: SimPico): string {
  return `${board.chip} device at bus ${board.bus}, address ${board.address}`;
}

type Group = [title: string, items: [string, string][] | "none"];

/** The `info` groups of a board, in picotool's order. */
export function infoGroups(
  board: SimPico,
  which: { program: boolean; pins: boolean; build: boolean; device: boolean; debug: boolean },
): Group[] {
  const groups: Group[] = [];
  // The simulated images carry no binary info block, so these groups print " none" as picotool does.
  if (which.program) groups.push(["Program Information", "none"]);
  if (which.pins) groups.push(["Fixed Pin Information", "none"]);
  if (which.build) groups.push(["Build Information", "none"]);
  if (which.device) {
    const items: [string, string][] = [["type", board.chip]];
    if (board.family === "rp2350") {
      items.push(["package", "QFN60"], ["chipid", `0x${board.flashId.slice(0, 16).toLowerCase()}`]);
    }
    if (which.debug) items.push(["revision", board.revision]);
    if (board.family === "rp2350") {
      items.push(
        ["flash devinfo", "0x0c00"],
        ["current cpu", "ARM"],
        ["available cpus", "ARM, RISC-V"],
        ["default cpu", "ARM"],
        ["secure boot", "0"],
        ["debug enable", "1"],
        ["secure debug enable", "1"],
        ["rom gitrev", "0x312e22fa"],
      );
    }
    items.push(
      ["flash size", `${board.flash.size / 1024}K`],
      ["flash id", `0x${board.flashId.toUpperCase()}`],
    );
    groups.push(["Device Information", items]);
  }
  return groups;
}

/** Prints groups with every value at one column: 3 + the longest key. */
export function formatGroups(groups: Group[]): string {
  const longest = Math.max(
    0,
    ...groups.flatMap(([, items]) => (items === "none" ? [] : items.map(([k]) => k.length))),
  );
  return groups
    .map(([title, items]) => {
      const body =
        items === "none" ? " none" : items.map(([k, v]) => ` ${`${k}:`.padEnd(longest + 2)}${v}`).join("\n");
      return `${title}\n${body}\n`;
    })
    .join("\n");
}
