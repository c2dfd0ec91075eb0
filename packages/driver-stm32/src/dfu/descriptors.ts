import { ErrorCodes } from "@factory/core";
import { stm32Error } from "../errors";
import { DescriptorType } from "./constants";

/** The DFU functional descriptor (DFU 1.1 §4.1.3), found in the configuration descriptor. */
export interface DfuFunctionalDescriptor {
  bmAttributes: number;
  canDownload: boolean;
  canUpload: boolean;
  manifestationTolerant: boolean;
  willDetach: boolean;
  detachTimeoutMs: number;
  transferSize: number;
  /** 0x011A for DfuSe. */
  dfuVersion: number;
}

/** An interface descriptor's fields the driver needs. */
export interface InterfaceDescriptor {
  interfaceNumber: number;
  alternateSetting: number;
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  /** Index of the interface's name string (the DfuSe memory description). */
  iInterface: number;
}

export interface ParsedConfiguration {
  interfaces: InterfaceDescriptor[];
  dfu?: DfuFunctionalDescriptor;
}

/** Walks a full configuration descriptor (as returned by GET_DESCRIPTOR(CONFIGURATION)). */
export function parseConfigurationDescriptor(bytes: Uint8Array): ParsedConfiguration {
  const fail = (why: string): never => {
    throw stm32Error(ErrorCodes.PROTOCOL_ERROR, `The USB configuration descriptor is malformed: ${why}`, {
      details: { bytes: Buffer.from(bytes).toString("hex") },
    });
  };
  if (bytes.length < 9 || bytes[1] !== DescriptorType.CONFIGURATION) fail("no configuration header");
  const total = Math.min(bytes.length, bytes[2]! | (bytes[3]! << 8));
  const result: ParsedConfiguration = { interfaces: [] };
  let offset = 0;
  while (offset + 2 <= total) {
    const length = bytes[offset]!;
    const type = bytes[offset + 1]!;
    if (length < 2 || offset + length > total) fail(`descriptor at ${offset} runs past the end`);
    const d = bytes.subarray(offset, offset + length);
    if (type === DescriptorType.INTERFACE && length >= 9) {
      result.interfaces.push({
        interfaceNumber: d[2]!,
        alternateSetting: d[3]!,
        interfaceClass: d[5]!,
        interfaceSubclass: d[6]!,
        interfaceProtocol: d[7]!,
        iInterface: d[8]!,
      });
    } else if (type === DescriptorType.DFU_FUNCTIONAL && length >= 7 && !result.dfu) {
      const attributes = d[2]!;
      result.dfu = {
        bmAttributes: attributes,
        canDownload: (attributes & 0x01) !== 0,
        canUpload: (attributes & 0x02) !== 0,
        manifestationTolerant: (attributes & 0x04) !== 0,
        willDetach: (attributes & 0x08) !== 0,
        detachTimeoutMs: d[3]! | (d[4]! << 8),
        transferSize: d[5]! | (d[6]! << 8),
        dfuVersion: length >= 9 ? d[7]! | (d[8]! << 8) : 0x0100,
      };
    }
    offset += length;
  }
  return result;
}

/** Decodes a string descriptor (UTF-16LE after the two header bytes). */
export function parseStringDescriptor(bytes: Uint8Array): string {
  if (bytes.length < 2 || bytes[1] !== DescriptorType.STRING) {
    throw stm32Error(ErrorCodes.PROTOCOL_ERROR, "The USB string descriptor is malformed", {
      details: { bytes: Buffer.from(bytes).toString("hex") },
    });
  }
  const length = Math.min(bytes[0]!, bytes.length) & ~1;
  return Buffer.from(bytes.subarray(2, length)).toString("utf16le");
}

/** Encodes a string descriptor (for simulators). */
export function encodeStringDescriptor(text: string): Uint8Array {
  const body = Buffer.from(text, "utf16le");
  const out = new Uint8Array(2 + body.length);
  out[0] = out.length;
  out[1] = DescriptorType.STRING;
  out.set(body, 2);
  return out;
}
