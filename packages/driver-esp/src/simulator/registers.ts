import { ESP32_EFUSE, MAGIC_REG } from "../protocol/chips";
import type { EspSimulator } from "./device";

/**
 * The register file READ_REG / WRITE_REG reach: detect magic, eFuse MAC words, UART divider, SPI,
 * the ROM's download-port variable (USB-OTG).
 */
export interface SimRegisters {
  read(addr: number): number;
  write(addr: number, value: number, mask: number): void;
}

const SPI_USR = 1 << 18;

/** JEDEC id for a flash of `size` bytes: Winbond manufacturer, capacity byte log2(size). */
export function jedecFor(size: number): number {
  const cap = Math.round(Math.log2(size));
  return (cap << 16) | (0x40 << 8) | 0xef;
}

export function buildRegisters(sim: EspSimulator): SimRegisters {
  const values = new Map<number, number>();
  const chip = sim.chip;
  const mac = sim.mac;
  const m = (i: number): number => mac[i] ?? 0;
  values.set(MAGIC_REG, sim.magic);
  if (chip.family === "esp8266") {
    // MAC0 holds byte 5 in its top byte; MAC1 holds bytes 3..4 and the OUI selector; MAC3 the OUI.
    values.set(0x3ff00050, (m(5) << 24) >>> 0);
    values.set(0x3ff00054, ((m(3) << 8) | m(4)) >>> 0);
    values.set(0x3ff0005c, ((m(0) << 16) | (m(1) << 8) | m(2)) >>> 0);
  } else {
    const [lo, hi] = chip.macRegs;
    values.set(lo, ((m(2) << 24) | (m(3) << 16) | (m(4) << 8) | m(5)) >>> 0);
    values.set(hi, ((m(0) << 8) | m(1)) >>> 0);
  }
  if (chip.family === "esp32") {
    // ESP32-D0WD-V3: package 1 in word3 bits 9..11, revision bits in word3, word5 and APB_CTL_DATE.
    values.set(ESP32_EFUSE.word3, ((1 << 9) | (1 << 15)) >>> 0);
    values.set(ESP32_EFUSE.word5, (1 << 20) >>> 0);
    values.set(ESP32_EFUSE.apbCtlDate, (1 << 31) >>> 0);
  }
  const usb = sim.options.usb;
  if (chip.usbOtg && usb?.vendorId === 0x303a && usb.productId === chip.usbOtg.productId) {
    values.set(chip.usbOtg.bufNoReg, chip.usbOtg.bufNoUsbOtg);
  }
  const spi = chip.spi;
  return {
    read(addr) {
      if (addr === chip.uartClkDivReg) {
        return Math.round((chip.clkDivProduct * 1_000_000) / sim.uartBaud) & 0xfffff;
      }
      return values.get(addr >>> 0) ?? 0;
    },
    write(addr, value, mask) {
      const old = values.get(addr >>> 0) ?? 0;
      let next = ((old & ~mask) | (value & mask)) >>> 0;
      if (addr === spi.base && next & SPI_USR) {
        // Run the user command held in USR2's low bits; the only one hosts use here is RDID (0x9F).
        const cmd = (values.get(spi.base + spi.usr2) ?? 0) & 0xffff;
        const out = cmd === 0x9f ? jedecFor(sim.flash.size) : 0;
        values.set(spi.base + spi.w0, out);
        next &= ~SPI_USR;
      }
      values.set(addr >>> 0, next >>> 0);
    },
  };
}
