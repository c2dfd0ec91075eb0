import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { type DoubleHost, runDoubleCommand } from "./commands";

/**
 * The executable the tests put first on PATH (or pass as the tool path): a small Node program that
 * forwards its argv and working directory to the test process over a Unix socket, prints what comes
 * back on stdout, and exits with the status picotool would (rc modulo 256: −7 → 249).
 */
function launcherSource(socketPath: string): string {
  return `#!/usr/bin/env node
"use strict";
const net = require("node:net");
const socket = net.connect(${JSON.stringify(socketPath)});
let buffer = "";
socket.setEncoding("utf8");
socket.on("connect", () => {
  socket.write(JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }) + "\\n");
});
socket.on("data", (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf("\\n")) >= 0) {
    const message = JSON.parse(buffer.slice(0, nl));
    buffer = buffer.slice(nl + 1);
    if (typeof message.out === "string") process.stdout.write(message.out);
    if (typeof message.rc === "number") {
      process.exitCode = message.rc & 255;
      socket.end();
    }
  }
});
socket.on("error", (error) => {
  process.stdout.write("ERROR: the picotool test double is not running (" + error.message + ")\\n");
  process.exitCode = 157;
});
`;
}

/** A running picotool double: the executable's path, and `close()`. */
export interface PicotoolDouble {
  /** Absolute path of the `picotool` executable. */
  readonly tool: string;
  /** Directory holding it, to put first on PATH. */
  readonly binDir: string;
  /** Every command line run so far (argv without `picotool`). */
  readonly calls: string[][];
  close(): Promise<void>;
}

/** Writes the `picotool` executable into `dir/bin` and serves its commands from `host`. */
export async function startPicotoolDouble(dir: string, host: DoubleHost): Promise<PicotoolDouble> {
  // A Unix socket path must fit in 108 bytes; fall back to a short one when TMPDIR is deep.
  const preferred = path.join(dir, "picotool.sock");
  const socketPath =
    preferred.length < 100
      ? preferred
      : path.join("/tmp", `picotool-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  const binDir = path.join(dir, "bin");
  const tool = path.join(binDir, "picotool");
  const calls: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let cancelled = false;
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("close", () => {
      cancelled = true;
      sockets.delete(socket);
    });
    socket.on("error", () => {
      cancelled = true;
    });
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf("\n");
      if (nl < 0) return;
      const request = JSON.parse(buffer.slice(0, nl)) as { argv: string[]; cwd: string };
      buffer = "";
      calls.push(request.argv);
      const send = (message: object): void => {
        if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
      };
      const io = {
        out: (text: string) => send({ out: text }),
        get cancelled() {
          return cancelled;
        },
      };
      void runDoubleCommand(request.argv, request.cwd, host, io).then((rc) => send({ rc }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, resolve);
  });
  mkdirSync(binDir, { recursive: true });
  writeFileSync(tool, launcherSource(socketPath));
  chmodSync(tool, 0o755);
  return {
    tool,
    binDir,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          if (socketPath !== preferred) rmSync(socketPath, { force: true });
          resolve();
        });
      }),
  };
}
