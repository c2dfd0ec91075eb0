import { connect as netConnect } from "node:net";
import type { Duplex } from "node:stream";
import { abortedError, type PortRef, type SignalOptions, throwIfAborted } from "@factory/core";
import { LineErrorCodes, lineError, PKG } from "./errors";

/**
 * Opens the byte stream of a port. Pass one for serial ports, e.g. with the `serialport` package:
 * `(port) => openSerial(port.path, 115200)`. Rejects `PORT_NOT_FOUND`, `PORT_BUSY` or `ABORTED`.
 */
export type Connector = (port: PortRef, options: SignalOptions & { timeoutMs: number }) => Promise<Duplex>;

/**
 * The built-in connector: `tcp://host:port`, a serial port shared over the network in raw mode
 * (ser2net, a terminal server). Any other path needs a `connect` option.
 */
export const tcpConnector: Connector = async (port, { signal, timeoutMs }) => {
  throwIfAborted(signal, PKG);
  const target = parseTcpPath(port.path);
  return new Promise<Duplex>((resolve, reject) => {
    const socket = netConnect({ host: target.host, port: target.port });
    const timer = setTimeout(() => {
      const message = `${port.path} did not accept a connection within ${timeoutMs} ms`;
      settle(() => reject(lineError(LineErrorCodes.TIMEOUT, message, { details: { port: port.path } })));
    }, timeoutMs);
    const onAbort = (): void =>
      settle(() => {
        socket.destroy();
        reject(abortedError(signal!, PKG));
      });
    const settle = (done: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
      socket.off("connect", onConnect);
      done();
    };
    const onConnect = (): void => settle(() => resolve(socket.setNoDelay(true)));
    const onError = (error: Error): void =>
      settle(() => {
        socket.destroy();
        const code = (error as { code?: string }).code;
        const message = `Nothing answers on ${port.path} (${code ?? error.message})`;
        reject(
          lineError(LineErrorCodes.PORT_NOT_FOUND, message, { cause: error, details: { port: port.path } }),
        );
      });
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", onConnect);
    socket.once("error", onError);
  });
};

function parseTcpPath(path: string): { host: string; port: number } {
  const match = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(path);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65_535) {
    throw lineError(
      LineErrorCodes.NOT_SUPPORTED,
      `No connector for ${path}: pass the driver a "connect" function (serial ports), or use tcp://host:port`,
      { details: { port: path }, retryable: false },
    );
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}
