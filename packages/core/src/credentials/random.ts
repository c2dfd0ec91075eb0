import { getRandomValues } from "node:crypto";
import { createError, ErrorCodes } from "../errors";

/**
 * Fills a buffer with random 32-bit words. The default is the operating system's CSPRNG
 * (`crypto.getRandomValues`); only tests pass another source, to script the words drawn.
 */
export type RandomWordSource = (words: Uint32Array) => void;

/** Words are drawn from the CSPRNG 256 at a time (one system call instead of one per word). */
const pool = new Uint32Array(256);
let poolNext = pool.length;

const cryptoSource: RandomWordSource = (words) => {
  for (let i = 0; i < words.length; i++) {
    if (poolNext === pool.length) {
      getRandomValues(pool);
      poolNext = 0;
    }
    words[i] = pool[poolNext]!;
    pool[poolNext++] = 0;
  }
};

const RANGE = 2 ** 32;

/**
 * A uniformly random integer in `[0, n)`, for `1 <= n <= 2^32`, by rejection sampling: a 32-bit
 * word at or above the largest multiple of `n` is drawn again, so no value is more likely than
 * another (a plain `word % n` would favour the low values whenever `n` does not divide 2^32).
 */
export function uniformIndex(n: number, source: RandomWordSource = cryptoSource): number {
  if (!Number.isInteger(n) || n < 1 || n > RANGE) {
    throw createError(
      "core",
      ErrorCodes.INVALID_ARGUMENT,
      `Random range must be an integer in 1..2^32, got ${n}`,
    );
  }
  const limit = RANGE - (RANGE % n);
  const word = new Uint32Array(1);
  for (;;) {
    source(word);
    const value = word[0]!;
    if (value < limit) return value % n;
  }
}

/** `length` bytes from the operating system's CSPRNG. */
export function secureRandomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  getRandomValues(bytes);
  return bytes;
}
