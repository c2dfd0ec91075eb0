import { Inflate } from "pako";

/** What one pushed block inflated to, or that the stream is corrupt. */
export type InflateStep = { chunks: Uint8Array[]; error?: undefined } | { chunks?: undefined; error: true };

/**
 * The stub's streaming zlib decoder: compressed blocks in, inflated bytes out right away (the
 * stub writes each block before it takes the next). Data after the end of the zlib stream is
 * ignored; once the stream is found corrupt every later block is an error too.
 */
export interface StreamInflater {
  push(block: Uint8Array): InflateStep;
  /** Drops the decoder's buffers; later pushes are ignored. */
  close(): void;
}

/**
 * A synchronous streaming inflater (pako: Node's native zlib has no public synchronous streaming
 * call, and the simulated stub must know at once what a block inflated to).
 */
export function createStreamInflater(): StreamInflater {
  let inflate: Inflate | undefined = new Inflate();
  let out: Uint8Array[] = [];
  inflate.onData = (chunk: Uint8Array) => {
    out.push(chunk);
  };
  return {
    push(block) {
      if (!inflate) return { chunks: [] };
      out = [];
      inflate.push(block, false);
      return inflate.err ? { error: true } : { chunks: out };
    },
    close() {
      inflate = undefined;
    },
  };
}
