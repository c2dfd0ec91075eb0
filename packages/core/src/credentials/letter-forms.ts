/**
 * How each letter of a password word may be printed. For every letter the generator picks one
 * form uniformly at random, independently of every other letter, so a letter with `k` forms adds
 * exactly `log2(k)` bits.
 *
 * The table is built for passwords that people type from a printed label:
 * - the look-alike digits are 4 (a), 3 (e), 1 (i), 0 (o) and 5 (s); no other digit ever appears,
 *   so 2/Z, 6/G, 7/T, 8/B and 9/g cannot be confused;
 * - `O`, `I`, `S` and lower-case `l` never appear, so 0/O, 1/I/l and 5/S cannot be confused
 *   (`l` is always printed `L`, `i` is `i` or `1`, `o` is `o` or `0`, `s` is `s` or `5`);
 * - letters whose capital is only a bigger copy of the small letter (c, u, v, w, x, z, and o, s
 *   above) keep one case, since the size difference is easy to misread on a small label.
 */
export const LETTER_FORMS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  a: ["a", "A", "4"],
  b: ["b", "B"],
  c: ["c"],
  d: ["d", "D"],
  e: ["e", "E", "3"],
  f: ["f", "F"],
  g: ["g", "G"],
  h: ["h", "H"],
  i: ["i", "1"],
  j: ["j", "J"],
  k: ["k", "K"],
  l: ["L"],
  m: ["m", "M"],
  n: ["n", "N"],
  o: ["o", "0"],
  p: ["p", "P"],
  q: ["q", "Q"],
  r: ["r", "R"],
  s: ["s", "5"],
  t: ["t", "T"],
  u: ["u"],
  v: ["v"],
  w: ["w"],
  x: ["x"],
  y: ["y", "Y"],
  z: ["z"],
});

/** Bits of randomness the letter forms add to `word` (sum of log2 of each letter's form count). */
export function letterBits(word: string): number {
  let bits = 0;
  for (const ch of word) {
    const forms = LETTER_FORMS[ch];
    if (forms && forms.length > 1) bits += Math.log2(forms.length);
  }
  return bits;
}
