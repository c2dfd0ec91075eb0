import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import { BLOCK_SIZE, FAMILY, fromHex, READY_LINE, toHex } from "../protocol";

export interface LineBoardOptions {
  /** 16 hex digits; random when omitted. */
  uid?: string;
  /** Bytes of flash; 64 KiB by default. */
  flashSize?: number;
  /** What the application answers after `BOOT`: line → reply line(s). Default `info` → `OK`. */
  console?: Record<string, string | string[]>;
  /** Never answers anything (a board held in reset, another device on the port). */
  mute?: boolean;
  /** Delay before each reply, ms (a slow board). */
  replyDelayMs?: number;
}

/**
 * One simulated LP1 board. It speaks the protocol of `../protocol.ts` byte for byte on whatever
 * stream it is attached to: an in-memory duplex, a TCP socket, a pseudo-terminal.
 */
export class LineBoardSimulator {
  readonly family = FAMILY;
  readonly uid: string;
  readonly flashSize: number;
  /** The flash; tests read it to check what was written. Erased flash reads 0xFF. */
  readonly memory: Uint8Array;
  console: Record<string, string | string[]>;
  mute: boolean;
  replyDelayMs: number;
  /** A board on the bench runs its application until something resets it. */
  mode: "bootloader" | "app" = "app";
  /** Every line received, in order (for tests that check what a host sent). */
  readonly received: string[] = [];
  private stream: Duplex | undefined;

  constructor(options: LineBoardOptions = {}) {
    this.uid = (options.uid ?? randomBytes(8).toString("hex")).toLowerCase();
    if (!/^[0-9a-f]{16}$/.test(this.uid)) throw new RangeError(`uid must be 16 hex digits, not ${this.uid}`);
    this.flashSize = options.flashSize ?? 64 * 1024;
    this.memory = new Uint8Array(this.flashSize).fill(0xff);
    this.console = options.console ?? { info: "OK" };
    this.mute = options.mute ?? false;
    this.replyDelayMs = options.replyDelayMs ?? 0;
  }

  /** True while a host has the board's port open. */
  get connected(): boolean {
    return this.stream !== undefined && !this.stream.destroyed;
  }

  /** Speaks on `stream` until it closes. */
  attach(stream: Duplex): void {
    this.stream = stream;
    let partial = "";
    stream.on("data", (chunk: Buffer) => {
      partial += chunk.toString("latin1");
      for (let at = partial.indexOf("\n"); at >= 0; at = partial.indexOf("\n")) {
        const line = partial.slice(0, at).replace(/\r$/, "");
        partial = partial.slice(at + 1);
        this.received.push(line);
        const replies = this.mute ? [] : this.handle(line);
        if (replies.length > 0) this.send(stream, replies);
      }
    });
    stream.on("error", () => {});
    stream.on("close", () => {
      if (this.stream === stream) this.stream = undefined;
    });
  }

  /** Pulls the cable: the host's stream closes. */
  disconnect(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }

  /** The reply lines to one received line (without line endings). */
  handle(line: string): string[] {
    if (line === "") return [];
    if (line === "ID?") return [`ID ${this.uid} ${this.flashSize}`];
    if (line === "!RESET") {
      this.mode = "bootloader";
      return [READY_LINE];
    }
    if (this.mode === "app") {
      const reply = this.console[line.trim()];
      if (reply === undefined) return [`ERR UNKNOWN ${line.slice(0, 40)}`];
      return Array.isArray(reply) ? reply : [reply];
    }
    if (line === "E") {
      this.memory.fill(0xff);
      return ["OK"];
    }
    if (line === "BOOT") {
      this.mode = "app";
      return ["OK"];
    }
    const write = /^W ([0-9a-f]{1,8}) ([0-9a-f]+)$/i.exec(line);
    if (write) {
      const address = Number.parseInt(write[1]!, 16);
      const data = fromHex(write[2]!);
      if (!data || data.length > BLOCK_SIZE) return [`ERR SYNTAX data must be 1-${BLOCK_SIZE} bytes of hex`];
      if (address + data.length > this.flashSize) return ["ERR RANGE beyond the end of flash"];
      this.memory.set(data, address);
      return ["OK"];
    }
    const read = /^R ([0-9a-f]{1,8}) (\d{1,3})$/i.exec(line);
    if (read) {
      const address = Number.parseInt(read[1]!, 16);
      const length = Number(read[2]);
      if (length < 1 || length > BLOCK_SIZE) return [`ERR SYNTAX length must be 1-${BLOCK_SIZE}`];
      if (address + length > this.flashSize) return ["ERR RANGE beyond the end of flash"];
      return [`D ${toHex(this.memory.subarray(address, address + length))}`];
    }
    return ["ERR SYNTAX unknown command"];
  }

  private send(stream: Duplex, replies: string[]): void {
    const bytes = Buffer.from(replies.map((r) => `${r}\n`).join(""), "latin1");
    const write = (): void => {
      if (!stream.destroyed) stream.write(bytes);
    };
    if (this.replyDelayMs > 0) setTimeout(write, this.replyDelayMs);
    else setImmediate(write);
  }
}
