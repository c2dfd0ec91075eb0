import { formatMac } from "../protocol/chips";
import type { EspSimulator } from "./device";

const APP_BAUD = 115200;
const IMAGE_MAGIC = 0xe9;

/**
 * The application side of a simulated board: after a reset into the app it prints a boot log and
 * then answers console lines from its script (`info` → `OK …` by default). Without a valid image
 * at the bootloader offset it prints what the ROM prints and stays silent.
 */
export class AppConsole {
  private line = "";
  private ready = false;

  constructor(private readonly sim: EspSimulator) {}

  boot(): void {
    this.line = "";
    const sim = this.sim;
    const header = sim.flash.byteAt(sim.chip.bootloaderOffset);
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    sim.send(
      text("ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n"),
      APP_BAUD,
    );
    if (header !== IMAGE_MAGIC) {
      this.ready = false;
      sim.send(text(`invalid header: 0x${header.toString(16).padStart(2, "0")}ffffff\r\n`), APP_BAUD);
      return;
    }
    this.ready = true;
    sim.send(text("I (29) boot: ESP-IDF 2nd stage bootloader\r\nI (312) app: ready\r\n"), APP_BAUD);
  }

  receive(bytes: Uint8Array): void {
    if (!this.ready) return;
    for (const b of bytes) {
      if (b === 0x0a || b === 0x0d) {
        const line = this.line.trim();
        this.line = "";
        if (line) this.answer(line);
      } else if (this.line.length < 256) this.line += String.fromCharCode(b);
    }
  }

  private answer(line: string): void {
    const sim = this.sim;
    const script = sim.options.console;
    let reply: string | undefined;
    if (typeof script === "function") reply = script(line);
    else if (script && line in script) reply = script[line];
    else if (line === "info") reply = `OK ${sim.chip.name} ${formatMac(sim.mac)}`;
    else reply = `ERR unknown command: ${line}`;
    if (reply !== undefined) sim.send(new TextEncoder().encode(`${reply}\r\n`), APP_BAUD);
  }
}
