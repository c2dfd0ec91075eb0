import { Writable } from "node:stream";
import type { CliIO } from "@factory/core";

/** A CliIO that collects what a command prints, for tests. */
export function createTestIO(cwd: string, signal: AbortSignal = new AbortController().signal) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk, _encoding, done) {
        into.push(String(chunk));
        done();
      },
    });
  const io: CliIO = { stdout: sink(out), stderr: sink(err), env: {}, cwd, signal };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}
