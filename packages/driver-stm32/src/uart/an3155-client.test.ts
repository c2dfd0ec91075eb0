import { createSimBinding, openSerialLink, type SerialLink, type SimFault } from "@factory/serial";
import { afterEach, describe, expect, it } from "vitest";
import { An3155Simulator } from "../simulator/an3155-device";
import { An3155Client, formsOpcodePair } from "./an3155-client";
import { Cmd } from "./constants";

const BASE = 0x0800_0000;
const block = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n }, (_, i) => (i * 3 + seed) & 0xff);

const links: SerialLink[] = [];
afterEach(async () => {
  for (const link of links.splice(0)) await link.close();
});

/** A synced client on a simulated part; `writes` lists the size of every host write after sync. */
async function rig(pipelineWrites: boolean, faults: SimFault[] = []) {
  const binding = createSimBinding();
  const device = new An3155Simulator();
  binding.add("sim:client", device, { faults });
  const link = await openSerialLink("sim:client", { baudRate: 115200, parity: "even", binding });
  links.push(link);
  const client = new An3155Client(link, "sim:client", { pipelineWrites, timeouts: { ack: 300 } });
  await client.sync();
  const writes: number[] = [];
  const write = link.write.bind(link);
  link.write = (data, options) => {
    writes.push(data.length);
    return write(data, options);
  };
  return { device, client, writes };
}

describe("AN3155 Write Memory framing", () => {
  it("formsOpcodePair finds a byte followed by its complement at any offset", () => {
    expect(formsOpcodePair(Uint8Array.of(0xce, 0x08, 0x00, 0x00, 0x00, 0x08))).toBe(false);
    expect(formsOpcodePair(Uint8Array.of(0x08, 0x00, 0xff, 0x00))).toBe(true);
    expect(formsOpcodePair(Uint8Array.of(0x01, 0x82, 0x7d))).toBe(true); // odd offset
    expect(formsOpcodePair(Uint8Array.of(0x82))).toBe(false);
  });

  it("pipelined: command and address in one write, the data block after the address ACK", async () => {
    const { device, client, writes } = await rig(true);
    await client.writeMemory(BASE, block(256, 1));
    await client.writeMemory(BASE + 256, block(256, 2));
    expect(writes).toEqual([7, 258, 7, 258]);
    expect(device.chip.flash.subarray(0, 512)).toEqual(Uint8Array.of(...block(256, 1), ...block(256, 2)));
  });

  it("stepwise: one write per step, as stm32flash", async () => {
    const { client, writes } = await rig(false);
    await client.writeMemory(BASE, block(256, 1));
    expect(writes).toEqual([2, 5, 258]);
  });

  it("sends an address whose bytes hold an opcode pair on its own", async () => {
    const { device, client, writes } = await rig(true);
    await client.writeMemory(BASE + 0xff00, block(8, 3)); // 08 00 FF 00: 0x00 then 0xFF
    expect(writes).toEqual([2, 5, 10]);
    expect(device.chip.flash.subarray(0xff00, 0xff08)).toEqual(block(8, 3));
  });

  it("never sends the data block after a refused address", async () => {
    const { device, client, writes } = await rig(true);
    const error = await client.writeMemory(0x0900_0000, block(256, 4)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STM32_NACK", details: { step: "the write address 0x09000000" } });
    expect(writes).toEqual([7]);
    expect(device.commands).toEqual([Cmd.WRITE_MEMORY]);
    await client.writeMemory(BASE, block(256, 5)); // still in step
    expect(device.chip.flash.subarray(0, 256)).toEqual(block(256, 5));
  });

  it("after a command corrupted on the wire, realigns the bootloader so the next command works", async () => {
    // byte 0 is the sync 0x7F; bytes 1–2 the Write Memory opcode and complement
    const { device, client } = await rig(true, [
      { direction: "to-device", at: 2, action: "corrupt", mask: 0x40 },
    ]);
    const error = await client.writeMemory(BASE, block(256, 6)).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "STM32_NACK", details: { step: "Write Memory" } });
    expect(device.commands).toEqual([]); // the address bytes were refused, never run as commands
    await client.writeMemory(BASE, block(256, 7));
    expect(device.chip.flash.subarray(0, 256)).toEqual(block(256, 7));
    expect(await client.getId()).toBe(0x413);
  });
});
