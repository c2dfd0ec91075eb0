import { describe, expect, it } from "vitest";
import { Command, fromHex, parseDataReply, parseErrorReply, parseIdReply } from "./protocol";

describe("LP1 protocol lines", () => {
  it("formats W and R with hex addresses", () => {
    expect(Command.write(0x1f40, Uint8Array.of(0, 1, 0xab))).toBe("W 1f40 0001ab");
    expect(Command.read(0x1000, 64)).toBe("R 1000 64");
  });

  it("parses ID replies and rejects anything else", () => {
    expect(parseIdReply("ID 0123456789ABCDEF 65536")).toEqual({ uid: "0123456789abcdef", flashSize: 65536 });
    expect(parseIdReply("ID 0123 65536")).toBeUndefined();
    expect(parseIdReply("ID 0123456789abcdef 0")).toBeUndefined();
    expect(parseIdReply("READY LP1")).toBeUndefined();
  });

  it("parses data and error replies", () => {
    expect(parseDataReply("D 00ff10")).toEqual(Uint8Array.of(0, 0xff, 0x10));
    expect(parseDataReply("D 0")).toBeUndefined();
    expect(parseErrorReply("ERR RANGE beyond the end of flash")).toEqual({
      word: "RANGE",
      text: "beyond the end of flash",
    });
    expect(parseErrorReply("OK")).toBeUndefined();
    expect(fromHex("zz")).toBeUndefined();
  });
});
