import { createServer, type Server } from "node:net";
import type { Duplex } from "node:stream";
import { abortedError, type PortRef, sleep } from "@factory/core";
import type { Connector } from "../connect";
import { LineErrorCodes, lineError } from "../errors";
import { type LineBoardOptions, LineBoardSimulator } from "./device";
import { createDuplexPair } from "./duplex-pair";

/**
 * A bench of simulated LP1 boards on named ports, scoped to this object (no module globals).
 * Its `connect` is the driver's connector for those ports; `serve` shares one board over TCP the
 * way ser2net shares a real serial port, so the driver's built-in `tcp://` connector can reach it.
 *
 * @example
 * const bench = createLineBench();
 * bench.plug("sim:a1");
 * const driver = createLineDriver({ connect: bench.connect });
 */
export interface LineBench {
  plug(path: string, options?: LineBoardOptions): LineBoardSimulator;
  /** Removes the board; an open connection to it closes as if the cable were pulled. */
  unplug(path: string): void;
  board(path: string): LineBoardSimulator | undefined;
  connect: Connector;
  /** Serves the board on `path` over TCP on 127.0.0.1; returns its `tcp://` path. */
  serve(path: string): Promise<string>;
  /** Closes every server and connection. */
  close(): Promise<void>;
}

export function createLineBench(): LineBench {
  const boards = new Map<string, LineBoardSimulator>();
  const servers = new Set<Server>();

  const claim = (path: string): LineBoardSimulator => {
    const board = boards.get(path);
    if (!board) {
      throw lineError(LineErrorCodes.PORT_NOT_FOUND, `Nothing is plugged into ${path}`, {
        details: { port: path },
      });
    }
    if (board.connected) {
      throw lineError(LineErrorCodes.PORT_BUSY, `${path} is held open by another program`, {
        details: { port: path },
      });
    }
    return board;
  };

  return {
    plug(path, options) {
      const board = new LineBoardSimulator(options);
      boards.set(path, board);
      return board;
    },
    unplug(path) {
      boards.get(path)?.disconnect();
      boards.delete(path);
    },
    board: (path) => boards.get(path),
    async connect(port: PortRef, { signal }): Promise<Duplex> {
      if (signal?.aborted) throw abortedError(signal, "line-protocol");
      const board = claim(port.path);
      const [host, device] = createDuplexPair();
      board.attach(device);
      return host;
    },
    async serve(path) {
      claim(path);
      const server = createServer(async (socket) => {
        // A client that just closed may not be seen as gone yet: give its FIN a moment to arrive.
        for (let i = 0; i < 20 && boards.get(path)?.connected; i += 1) await sleep(10);
        const board = boards.get(path);
        if (!board || board.connected) socket.destroy();
        else board.attach(socket);
      });
      servers.add(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("The TCP server has no port");
      return `tcp://127.0.0.1:${address.port}`;
    },
    async close() {
      for (const board of boards.values()) board.disconnect();
      await Promise.all(
        [...servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      servers.clear();
    },
  };
}
