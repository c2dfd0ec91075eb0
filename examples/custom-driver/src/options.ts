import type { Logger } from "@factory/core";
import type { Connector } from "./connect";
import { LineErrorCodes, lineError } from "./errors";

export interface LineDriverOptions {
  /** Opens a port's byte stream; `tcp://host:port` works without it. */
  connect?: Connector;
  /** How long one reply may take, ms (default 1000). Also accepted in the board config's `settings`. */
  replyTimeoutMs?: number;
  /** How long `probe` waits for `ID?`, ms (default 300). */
  probeTimeoutMs?: number;
  logger?: Logger;
}

/** Reads and checks the timeouts; anything else in `input` that is not ours is refused by name. */
export function readTimeouts(input: Record<string, unknown> | LineDriverOptions, where: string) {
  const known = new Set(["connect", "replyTimeoutMs", "probeTimeoutMs", "logger"]);
  const unknown = Object.keys(input).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw lineError(
      LineErrorCodes.INVALID_ARGUMENT,
      `Unknown ${where} for the LP1 driver: ${unknown.join(", ")} (known: replyTimeoutMs, probeTimeoutMs)`,
      {
        details: { unknown },
        retryable: false,
      },
    );
  }
  const value = (key: "replyTimeoutMs" | "probeTimeoutMs", fallback: number): number => {
    const given = (input as Record<string, unknown>)[key];
    if (given === undefined) return fallback;
    if (typeof given !== "number" || !Number.isInteger(given) || given < 1 || given > 60_000) {
      throw lineError(
        LineErrorCodes.INVALID_ARGUMENT,
        `${key} must be a whole number of ms from 1 to 60000, not ${String(given)}`,
        {
          details: { [key]: given },
          retryable: false,
        },
      );
    }
    return given;
  };
  return { replyTimeoutMs: value("replyTimeoutMs", 1_000), probeTimeoutMs: value("probeTimeoutMs", 300) };
}
