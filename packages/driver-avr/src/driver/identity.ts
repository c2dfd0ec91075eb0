import type { DeviceIdentity, PortRef, SignalOptions } from "@factory/core";
import { SIGNATURES, signatureHex } from "../boards";
import type { Stk500Client } from "../protocol/client";
import type { ResolvedOptions } from "./options";

/**
 * Builds the identity of an AVR board. An ATmega328P has no unique ID a bootloader can read, so
 * the unit's identity is the serial number the line writes into a reserved flash region (by
 * default the last 16 bytes below the bootloader, a per-device region of the flash plan):
 * printable ASCII is used as-is (lower-cased, other characters replaced by `-`), anything else as
 * hex. A board whose region is still erased gets `blank-<port>`: it is told apart only by its
 * slot until the plan writes a serial number, and `extra.serialProgrammed` is false.
 */
export async function readIdentity(
  client: Stk500Client,
  o: ResolvedOptions,
  port: PortRef,
  signature: Uint8Array,
  version: string,
  options: SignalOptions,
): Promise<DeviceIdentity> {
  const sig = signatureHex(signature);
  const extra: Record<string, string | number | boolean> = {
    signature: sig,
    board: o.board.id,
    bootloader: `${o.board.bootloader} ${version}`,
    bootloaderSize: o.board.bootloaderSize,
    serialProgrammed: false,
  };
  let uniqueId = `blank-${sanitize(port.path)}`;
  if (o.serialNumber) {
    const { offset, length } = o.serialNumber;
    const start = offset - (offset % 2);
    const raw = await client.readPage(
      start,
      length + (offset % 2) + ((length + (offset % 2)) % 2),
      "F",
      options,
    );
    const bytes = raw.subarray(offset - start, offset - start + length);
    const serial = decodeSerial(bytes, o.serialNumber.encoding);
    if (serial) {
      uniqueId = serial.id;
      extra.serialNumber = serial.text;
      extra.serialProgrammed = true;
    }
  }
  return {
    family: "avr",
    chip: SIGNATURES[sig] ?? o.board.chip,
    uniqueId,
    flashSize: o.board.flashSize,
    extra,
  };
}

/** The serial number in `bytes`, or undefined when the region is erased (all 0xFF) or zeroed. */
export function decodeSerial(
  bytes: Uint8Array,
  encoding: "ascii" | "hex",
): { id: string; text: string } | undefined {
  if (bytes.every((b) => b === 0xff) || bytes.every((b) => b === 0x00)) return undefined;
  if (encoding === "ascii") {
    let end = bytes.findIndex((b) => b === 0x00 || b === 0xff);
    if (end < 0) end = bytes.length;
    const text = Buffer.from(bytes.subarray(0, end)).toString("latin1");
    if (text.length > 0 && /^[\x20-\x7e]+$/.test(text)) return { id: sanitize(text), text };
  }
  const hex = Buffer.from(bytes).toString("hex");
  return { id: hex, text: hex };
}

function sanitize(value: string): string {
  return value.toLowerCase().replace(/[^0-9a-z:._-]/g, "-");
}
