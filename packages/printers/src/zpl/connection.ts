import { Socket } from "node:net";
import { abortedError, ErrorCodes, type FactoryError } from "@factory/core";
import { printerError } from "../errors";
import { type HostStatus, parseHostStatus, takeFrames } from "./host-status";

export interface Endpoint {
  host: string;
  port: number;
}

const OFFLINE_CODES = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

function where(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

/**
 * One raw TCP connection to a ZPL printer (port 9100): bytes out, `~HS` answers in. Every wait
 * is bounded by a signal; a connection the printer closes fails whatever waits on it with
 * `PRINTER_OFFLINE`.
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private failure: FactoryError | undefined;
  private wake: (() => void) | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly endpoint: Endpoint,
  ) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      if (this.received.length > 65_536) this.received = this.received.subarray(-4096);
      this.wake?.();
    });
    const fail = (error?: Error): void => {
      this.failure ??= printerError(
        ErrorCodes.PRINTER_OFFLINE,
        `The printer at ${where(endpoint)} closed the connection${error ? ` (${(error as NodeJS.ErrnoException).code ?? error.message})` : ""}`,
        { cause: error, details: { host: endpoint.host, port: endpoint.port } },
      );
      this.wake?.();
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
  }

  /** Connects; refused, unreachable or silent past the signal's bound: `PRINTER_OFFLINE`. */
  static open(endpoint: Endpoint, signal: AbortSignal): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(abortedError(signal, "printers"));
      const socket = new Socket();
      const onAbort = (): void => {
        socket.destroy();
        const reason = abortedError(signal, "printers");
        reject(
          reason.code === ErrorCodes.TIMEOUT
            ? printerError(
                ErrorCodes.PRINTER_OFFLINE,
                `The printer at ${where(endpoint)} does not accept a connection`,
                {
                  cause: reason,
                  details: { ...endpoint },
                },
              )
            : reason,
        );
      };
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        signal.removeEventListener("abort", onAbort);
        socket.destroy();
        const code = error.code ?? "";
        reject(
          printerError(
            ErrorCodes.PRINTER_OFFLINE,
            `The printer at ${where(endpoint)} cannot be reached (${code || error.message})`,
            { cause: error, details: { ...endpoint, errno: code }, retryable: OFFLINE_CODES.has(code) },
          ),
        );
      });
      socket.connect({ host: endpoint.host, port: endpoint.port }, () => {
        signal.removeEventListener("abort", onAbort);
        socket.setNoDelay(true);
        resolve(new RawConnection(socket, endpoint));
      });
    });
  }

  /** Writes bytes; resolves when the kernel took them all. */
  write(data: string | Buffer, signal: AbortSignal): Promise<number> {
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      if (signal.aborted) return reject(abortedError(signal, "printers"));
      const onAbort = (): void => reject(abortedError(signal, "printers"));
      signal.addEventListener("abort", onAbort, { once: true });
      this.socket.write(bytes, (error) => {
        signal.removeEventListener("abort", onAbort);
        if (error || this.failure) {
          reject(
            this.failure ??
              printerError(
                ErrorCodes.PRINTER_OFFLINE,
                `Sending to the printer at ${where(this.endpoint)} failed`,
                {
                  cause: error,
                },
              ),
          );
        } else resolve(bytes.length);
      });
    });
  }

  /**
   * Sends `~HS` and waits for its three strings. No answer before the signal's bound rejects
   * with `TIMEOUT` saying the printer may be in a fault: some printers stay silent to `~HS`
   * while out of media or ribbon or with the head open.
   */
  async hostStatus(signal: AbortSignal, timeoutMs: number): Promise<HostStatus> {
    this.received = Buffer.alloc(0);
    await this.write("~HS", signal);
    const frames = await new Promise<string[]>((resolve, reject) => {
      const finish = (error?: unknown, value?: string[]): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.wake = undefined;
        if (error) reject(error);
        else resolve(value!);
      };
      const check = (): void => {
        const { frames: got, used } = takeFrames(this.received);
        if (got.length >= 3) {
          this.received = this.received.subarray(used);
          finish(undefined, got);
        } else if (this.failure) finish(this.failure);
      };
      const onAbort = (): void => finish(abortedError(signal, "printers"));
      const timer = setTimeout(
        () =>
          finish(
            printerError(
              ErrorCodes.TIMEOUT,
              `The printer at ${where(this.endpoint)} did not answer the status query (~HS) within ${timeoutMs} ms; it may be out of labels or ribbon, or have its head open`,
              { details: { ...this.endpoint, timeoutMs } },
            ),
          ),
        timeoutMs,
      );
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake = check;
      check();
    });
    return parseHostStatus(frames);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}
