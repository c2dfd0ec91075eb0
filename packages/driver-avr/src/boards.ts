/**
 * The boards this driver knows. Facts from avrdude.conf and PROTOCOLS.md §3.4; values marked
 * "general knowledge" there (57600 for the old Nano bootloader, its 2 KiB size) are flagged below.
 */
export interface AvrBoard {
  /** Config name: `uno`, `nano`, … */
  id: string;
  /** Operator-facing name. */
  name: string;
  /** Part name as avrdude prints it. */
  chip: string;
  /** Three signature bytes. */
  signature: readonly [number, number, number];
  /** Flash size in bytes. */
  flashSize: number;
  /** SPM page size in bytes (PROG_PAGE writes exactly one page). */
  pageSize: number;
  /** Bytes at the top of flash the bootloader occupies; sketches must end below. */
  bootloaderSize: number;
  eepromSize: number;
  /** Baud rate the bootloader listens at. */
  baudRate: number;
  /** Bootloader family: optiboot and ATmegaBOOT both speak STK500v1 as used here. */
  bootloader: "optiboot" | "atmegaboot";
  /** Facts that could not be checked against a public source. */
  unverified?: string;
}

const M328P = {
  chip: "ATmega328P",
  signature: [0x1e, 0x95, 0x0f],
  flashSize: 0x8000,
  pageSize: 128,
  eepromSize: 1024,
} as const;

export const AVR_BOARDS: Readonly<Record<string, AvrBoard>> = {
  uno: {
    id: "uno",
    name: "Arduino Uno",
    ...M328P,
    bootloaderSize: 512,
    baudRate: 115200,
    bootloader: "optiboot",
  },
  "nano-optiboot": {
    id: "nano-optiboot",
    name: "Arduino Nano (new bootloader)",
    ...M328P,
    bootloaderSize: 512,
    baudRate: 115200,
    bootloader: "optiboot",
  },
  nano: {
    id: "nano",
    name: "Arduino Nano (old bootloader)",
    ...M328P,
    bootloaderSize: 2048,
    baudRate: 57600,
    bootloader: "atmegaboot",
    unverified:
      "57600 baud and the 2 KiB ATmegaBOOT size are general knowledge, not checked against a source",
  },
  "mega2560-optiboot": {
    id: "mega2560-optiboot",
    name: "Arduino Mega 2560 with optiboot",
    chip: "ATmega2560",
    signature: [0x1e, 0x98, 0x01],
    flashSize: 0x40000,
    pageSize: 256,
    bootloaderSize: 1024,
    eepromSize: 4096,
    baudRate: 115200,
    bootloader: "optiboot",
    unverified:
      "page size 256, 1 KiB boot section and the signature are general knowledge; only the simulator was exercised",
  },
};

/**
 * Boards whose stock bootloader does not speak STK500v1: the Mega 2560's stock bootloader speaks
 * STK500v2 (`avrdude -c wiring`), which this driver does not implement.
 */
export const UNSUPPORTED_BOARDS: Readonly<Record<string, string>> = {
  mega2560:
    "the Mega 2560's stock bootloader speaks STK500v2 (avrdude -c wiring); burn optiboot and use board mega2560-optiboot",
  mega: "the Mega 2560's stock bootloader speaks STK500v2 (avrdude -c wiring); burn optiboot and use board mega2560-optiboot",
};

/** Chip names by signature, for mismatch messages. */
export const SIGNATURES: Readonly<Record<string, string>> = {
  "1e950f": "ATmega328P",
  "1e9514": "ATmega328",
  "1e9406": "ATmega168",
  "1e940b": "ATmega168P",
  "1e9801": "ATmega2560",
  "1e9703": "ATmega1280",
  "1e9587": "ATmega32U4",
};

/** First byte of the bootloader section. */
export function bootStart(board: AvrBoard): number {
  return board.flashSize - board.bootloaderSize;
}

export function signatureHex(sig: ArrayLike<number>): string {
  return Array.from(sig, (b) => b.toString(16).padStart(2, "0")).join("");
}
