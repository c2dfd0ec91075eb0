import type { Duplex } from "node:stream";
import { describe, expect, it } from "vitest";
import { LineBoardSimulator } from "./device";
import { createDuplexPair } from "./duplex-pair";

/** Sends raw bytes to a simulated board and collects exactly what it sends back. */
async function exchange(board: LineBoardSimulator, bytes: string, replyLines: number): Promise<string> {
  const [host, device] = createDuplexPair();
  board.attach(device);
  const received: Buffer[] = [];
  host.on("data", (chunk: Buffer) => received.push(chunk));
  host.write(Buffer.from(bytes, "latin1"));
  await until(() => Buffer.concat(received).toString("latin1").split("\n").length > replyLines, host);
  host.destroy();
  return Buffer.concat(received).toString("latin1");
}

async function until(done: () => boolean, stream: Duplex): Promise<void> {
  for (let i = 0; i < 200 && !done() && !stream.destroyed; i += 1) await new Promise((r) => setTimeout(r, 5));
  if (!done()) throw new Error("the simulator did not answer");
}

describe("LP1 simulator, on the wire", () => {
  it("answers ID? and !RESET byte for byte, CRLF or LF", async () => {
    const board = new LineBoardSimulator({ uid: "0123456789ABCDEF", flashSize: 4096 });
    expect(await exchange(board, "ID?\r\n!RESET\n", 2)).toBe("ID 0123456789abcdef 4096\nREADY LP1\n");
    expect(board.mode).toBe("bootloader");
  });

  it("programs with W and reads back with R in the bootloader", async () => {
    const board = new LineBoardSimulator({ flashSize: 4096 });
    const out = await exchange(board, "!RESET\nW 10 c0ffee\nR f 5\n", 3);
    expect(out).toBe("READY LP1\nOK\nD ffc0ffeeff\n");
    expect([...board.memory.subarray(0x10, 0x13)]).toEqual([0xc0, 0xff, 0xee]);
  });

  it("refuses bad lines with ERR and changes nothing", async () => {
    const board = new LineBoardSimulator({ flashSize: 256 });
    const out = await exchange(board, "!RESET\nW ff 0102\nW 0 abc\nR 0 65\nX\n", 5);
    expect(out.split("\n").slice(1, 5)).toEqual([
      "ERR RANGE beyond the end of flash",
      "ERR SYNTAX data must be 1-64 bytes of hex",
      "ERR SYNTAX length must be 1-64",
      "ERR SYNTAX unknown command",
    ]);
    expect(board.memory.every((b) => b === 0xff)).toBe(true);
  });

  it("hands lines to the application after BOOT, except ID? and !RESET", async () => {
    const board = new LineBoardSimulator({
      uid: "00000000000000aa",
      console: { info: ["LP1 app 1.0", "OK"] },
    });
    const out = await exchange(board, "!RESET\nBOOT\ninfo\nW 0 00\nID?\n", 6);
    expect(out).toBe("READY LP1\nOK\nLP1 app 1.0\nOK\nERR UNKNOWN W 0 00\nID 00000000000000aa 65536\n");
    expect(board.memory[0]).toBe(0xff);
  });

  it("erases the whole flash with E", async () => {
    const board = new LineBoardSimulator({ flashSize: 1024 });
    board.memory.fill(0);
    expect(await exchange(board, "!RESET\nE\n", 2)).toBe("READY LP1\nOK\n");
    expect(board.memory.every((b) => b === 0xff)).toBe(true);
  });
});
