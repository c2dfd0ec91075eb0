/**
 * The line protocol of the LP1 board (an imaginary board used as the driver template).
 *
 * ASCII lines over a byte stream (a UART at 115200 8N1, a ser2net TCP socket, a simulator).
 * Every line ends with `\n`; a `\r` before it is ignored. The host sends one command and waits
 * for exactly one reply line before sending the next.
 *
 * Handled by the board's ROM in every mode, before the application sees the line:
 *
 * | host sends   | board replies                                            |
 * |--------------|----------------------------------------------------------|
 * | `ID?`        | `ID <uid: 16 hex digits> <flash size in bytes, decimal>` |
 * | `!RESET`     | restarts into the bootloader, then `READY LP1`           |
 *
 * In the bootloader (after `!RESET`):
 *
 * | host sends                    | board replies                                         |
 * |-------------------------------|-------------------------------------------------------|
 * | `W <addr hex> <data hex>`     | `OK` once the 1–64 bytes are programmed               |
 * | `R <addr hex> <len decimal>`  | `D <data hex>` (1–64 bytes)                           |
 * | `E`                           | `OK` once the whole flash reads 0xFF                  |
 * | `BOOT`                        | `OK`, then the application runs and owns the console  |
 *
 * Failures reply `ERR <WORD> <text>`: `ERR SYNTAX` (malformed line or unknown command),
 * `ERR RANGE` (address or length outside the flash). In the application, lines other than `ID?`
 * and `!RESET` go to the firmware, which answers as it was written to (`info` → `OK` by custom).
 */

/** Largest payload of one `W` or `R`, bytes. */
export const BLOCK_SIZE = 64;
/** The banner the bootloader prints after `!RESET`. */
export const READY_LINE = "READY LP1";
/** Family name the driver declares and reports. */
export const FAMILY = "lp1";

export const Command = {
  identify: "ID?",
  reset: "!RESET",
  boot: "BOOT",
  erase: "E",
  write: (address: number, data: Uint8Array): string => `W ${address.toString(16)} ${toHex(data)}`,
  read: (address: number, length: number): string => `R ${address.toString(16)} ${length}`,
} as const;

/** What `ID?` reports. */
export interface IdReply {
  uid: string;
  flashSize: number;
}

/** Parses `ID <uid> <size>`; undefined when the line is anything else. */
export function parseIdReply(line: string): IdReply | undefined {
  const match = /^ID ([0-9a-f]{16}) (\d{1,10})$/i.exec(line);
  if (!match) return undefined;
  const flashSize = Number(match[2]);
  if (flashSize <= 0) return undefined;
  return { uid: match[1]!.toLowerCase(), flashSize };
}

/** Parses `D <hex>` into bytes; undefined when the line is anything else. */
export function parseDataReply(line: string): Uint8Array | undefined {
  const match = /^D ((?:[0-9a-f]{2})+)$/i.exec(line);
  return match ? fromHex(match[1]!) : undefined;
}

/** Parses `ERR <WORD> <text>`; undefined for any other line. */
export function parseErrorReply(line: string): { word: string; text: string } | undefined {
  const match = /^ERR ([A-Z]+)(?: (.*))?$/.exec(line);
  return match ? { word: match[1]!, text: match[2] ?? "" } : undefined;
}

export function toHex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("hex");
}

/** Decodes an even-length hex string; undefined if it is not one. */
export function fromHex(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length % 2 !== 0 || !/^[0-9a-f]+$/i.test(text)) return undefined;
  return Uint8Array.from(Buffer.from(text, "hex"));
}
