import { isFactoryError } from "@factory/core";
import { LineErrorCodes, lineError } from "./errors";
import { Command, parseErrorReply, parseIdReply } from "./protocol";
import type { LineLink } from "./transport";

/**
 * Command and reply, one at a time, over a {@link LineLink}. `ERR` replies become coded errors;
 * after a command cut short by abort or timeout, the next command first re-pairs replies.
 */
export class CommandChannel {
  /** A command was cut short: its reply may still arrive and must not be taken for the next one's. */
  private stale = false;

  constructor(
    private readonly link: LineLink,
    private readonly replyTimeoutMs: number,
  ) {}

  /** Sends `line` and returns the reply line. Rejects `LINE_DEVICE_ERROR` on `ERR …`. */
  async send(line: string, signal?: AbortSignal): Promise<string> {
    if (this.stale) await this.resync(signal);
    this.link.discard();
    await this.link.writeLine(line, signal);
    let reply: string;
    try {
      reply = await this.link.readLine(this.replyTimeoutMs, line.split(" ")[0]!, signal);
    } catch (error) {
      if (isFactoryError(error, ["ABORTED", "TIMEOUT"])) this.stale = true;
      throw error;
    }
    const refused = parseErrorReply(reply);
    if (refused) {
      throw lineError(
        LineErrorCodes.LINE_DEVICE_ERROR,
        `${this.link.path} refused ${line.slice(0, 40)}: ${reply}`,
        {
          details: { port: this.link.path, command: line.slice(0, 80), reply, word: refused.word },
        },
      );
    }
    return reply;
  }

  /** Sends `line` and expects `OK`; a refusal is re-coded as `failCode` when given (`FLASH_FAILED`). */
  async expectOk(line: string, signal?: AbortSignal, failCode?: string): Promise<void> {
    const reply = await this.send(line, signal).catch((error: unknown) => {
      if (failCode && isFactoryError(error, LineErrorCodes.LINE_DEVICE_ERROR)) {
        throw lineError(failCode, error.message.replace(/^\[[^\]]+\] /, ""), {
          cause: error,
          details: error.details,
        });
      }
      throw error;
    });
    if (reply !== "OK") throw this.unexpected(line, reply);
  }

  /** The error for a reply that does not fit the command. */
  unexpected(command: string, reply: string) {
    const message = `Unexpected answer to ${command.split(" ")[0]} from ${this.link.path}: "${reply.slice(0, 60)}"`;
    return lineError(LineErrorCodes.PROTOCOL_ERROR, message, {
      details: { port: this.link.path, command: command.slice(0, 80), reply: reply.slice(0, 200) },
    });
  }

  /** Asks `ID?` and skips lines until its answer, so that replies pair up with commands again. */
  private async resync(signal?: AbortSignal): Promise<void> {
    this.link.discard();
    await this.link.writeLine(Command.identify, signal);
    for (let i = 0; i < 8; i += 1) {
      if (parseIdReply(await this.link.readLine(this.replyTimeoutMs, "ID?", signal))) {
        this.stale = false;
        return;
      }
    }
    throw lineError(LineErrorCodes.PROTOCOL_ERROR, `${this.link.path} does not answer ID? any more`);
  }
}
