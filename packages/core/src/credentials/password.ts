import { createError, ErrorCodes } from "../errors";
import { LETTER_FORMS, letterBits } from "./letter-forms";
import { type RandomWordSource, uniformIndex } from "./random";
import { WORD_LIST_TEXT } from "./word-list";

/** Options of {@link generatePassword} and {@link passwordEntropyBits}. */
export interface PasswordOptions {
  /**
   * Number of words. Default: the fewest words whose guaranteed entropy reaches `minEntropyBits`
   * (4 with the built-in list and the default 64 bits).
   */
  words?: number;
  /** Between words: 1 to 3 of `- _ . + = : / ~ ! # *`. Default `-`. */
  separator?: string;
  /** Refuse options whose guaranteed entropy is below this (`INVALID_ARGUMENT`). Default 64. */
  minEntropyBits?: number;
  /**
   * Words to draw from instead of the built-in list: distinct, lower-case a–z, at least 2.
   * Checked once per array (the analysis is cached per array instance).
   */
  wordList?: readonly string[];
}

/** How the entropy of a password configuration is made up. All figures are in bits. */
export interface PasswordEntropy {
  words: number;
  listSize: number;
  /** `log2(listSize)`: one uniformly drawn word. */
  bitsPerWord: number;
  /** Fewest case/digit bits any word of the list offers (the word with the fewest choices). */
  minLetterBitsPerWord: number;
  /** Case/digit bits averaged over the list. */
  meanLetterBitsPerWord: number;
  /**
   * Guaranteed (min-)entropy: `words * (bitsPerWord + minLetterBitsPerWord)`, i.e. `-log2` of the
   * probability of the most likely password. This is the figure checked against `minEntropyBits`.
   */
  minEntropyBits: number;
  /** Shannon entropy: `words * (bitsPerWord + meanLetterBitsPerWord)`. Informative only. */
  meanEntropyBits: number;
}

export const DEFAULT_MIN_ENTROPY_BITS = 64;
const MAX_WORDS = 16;
const SEPARATOR = /^[-_.+=:/~!#*]{1,3}$/;

interface ListAnalysis {
  words: readonly string[];
  minLetterBits: number;
  meanLetterBits: number;
}

const analyses = new WeakMap<readonly string[], ListAnalysis>();
let builtIn: ListAnalysis | undefined;

function analyse(words: readonly string[]): ListAnalysis {
  let min = Number.POSITIVE_INFINITY;
  let sum = 0;
  for (const word of words) {
    const bits = letterBits(word);
    if (bits < min) min = bits;
    sum += bits;
  }
  return { words, minLetterBits: min, meanLetterBits: sum / words.length };
}

function builtInList(): ListAnalysis {
  builtIn ??= analyse(Object.freeze(WORD_LIST_TEXT.trim().split("\n")));
  return builtIn;
}

/** The built-in word list (frozen). */
export function passwordWordList(): readonly string[] {
  return builtInList().words;
}

function invalid(message: string, details?: Record<string, unknown>): never {
  throw createError("core", ErrorCodes.INVALID_ARGUMENT, message, details ? { details } : undefined);
}

function customList(words: readonly string[]): ListAnalysis {
  const cached = analyses.get(words);
  if (cached) return cached;
  if (!Array.isArray(words) || words.length < 2) invalid("A password word list needs at least 2 words");
  const seen = new Set<string>();
  for (const word of words) {
    if (typeof word !== "string" || !/^[a-z]+$/.test(word)) {
      invalid(`Password word list entries must be lower-case a–z, got ${JSON.stringify(word)}`);
    }
    if (seen.has(word)) invalid(`Password word list has "${word}" twice; duplicates would overstate entropy`);
    seen.add(word);
  }
  const analysis = analyse(Object.freeze([...words]));
  analyses.set(words, analysis);
  return analysis;
}

interface Resolved {
  list: ListAnalysis;
  words: number;
  separator: string;
  entropy: PasswordEntropy;
}

function entropyOf(list: ListAnalysis, words: number): PasswordEntropy {
  const bitsPerWord = Math.log2(list.words.length);
  return {
    words,
    listSize: list.words.length,
    bitsPerWord,
    minLetterBitsPerWord: list.minLetterBits,
    meanLetterBitsPerWord: list.meanLetterBits,
    minEntropyBits: words * (bitsPerWord + list.minLetterBits),
    meanEntropyBits: words * (bitsPerWord + list.meanLetterBits),
  };
}

function resolve(options: PasswordOptions): Resolved {
  const list = options.wordList === undefined ? builtInList() : customList(options.wordList);
  const separator = options.separator ?? "-";
  if (typeof separator !== "string" || !SEPARATOR.test(separator)) {
    invalid(`Password separator must be 1 to 3 of - _ . + = : / ~ ! # *, got ${JSON.stringify(separator)}`);
  }
  const target = options.minEntropyBits ?? DEFAULT_MIN_ENTROPY_BITS;
  if (typeof target !== "number" || !Number.isFinite(target) || target < 0) {
    invalid(`minEntropyBits must be a number >= 0, got ${String(target)}`);
  }
  let words = options.words;
  if (words === undefined) {
    const perWord = Math.log2(list.words.length) + list.minLetterBits;
    words = Math.max(1, Math.ceil(target / perWord - 1e-9));
    if (words > MAX_WORDS) {
      invalid(`No password of up to ${MAX_WORDS} words from this list reaches ${target} bits`, {
        minEntropyBits: target,
        bitsPerWord: perWord,
      });
    }
  } else if (!Number.isInteger(words) || words < 1 || words > MAX_WORDS) {
    invalid(`Password word count must be an integer from 1 to ${MAX_WORDS}, got ${String(words)}`);
  }
  const entropy = entropyOf(list, words);
  if (entropy.minEntropyBits + 1e-9 < target) {
    invalid(
      `${words} words give ${entropy.minEntropyBits.toFixed(1)} bits, below the required ${target}; ` +
        "use more words or lower minEntropyBits",
      { words, minEntropyBits: target, actualBits: entropy.minEntropyBits },
    );
  }
  return { list, words, separator, entropy };
}

/**
 * The guaranteed entropy, in bits, of passwords generated with `options`: every password is one of
 * at least `2^bits` equally likely outcomes or rarer (min-entropy). Throws `INVALID_ARGUMENT` for
 * options {@link generatePassword} would refuse.
 *
 * @example
 * passwordEntropyBits(); // ≈ 70.2 with the built-in list (4 words)
 */
export function passwordEntropyBits(options: PasswordOptions = {}): number {
  return resolve(options).entropy.minEntropyBits;
}

/** The full breakdown behind {@link passwordEntropyBits}. */
export function describePasswordEntropy(options: PasswordOptions = {}): PasswordEntropy {
  return resolve(options).entropy;
}

/**
 * A phonetic password in the style `cReAm-h0NEY-5PiN4cH-fLuTE`: words drawn uniformly from the
 * word list, each letter printed in one of its forms (case or look-alike digit, see
 * `LETTER_FORMS`) chosen uniformly and independently, words joined by the separator. Uses the
 * operating system's CSPRNG only. Throws `INVALID_ARGUMENT` when the options cannot reach
 * `minEntropyBits` (64 by default).
 *
 * @example
 * const admin = generatePassword();            // 4 words, ≥ 64 bits
 * const short = generatePassword({ words: 3, minEntropyBits: 50 });
 */
export function generatePassword(options: PasswordOptions = {}): string {
  return generateWith(resolve(options));
}

/** @internal Draws with a scripted source; tests only. */
export function generatePasswordWithSource(options: PasswordOptions, source: RandomWordSource): string {
  return generateWith(resolve(options), source);
}

function generateWith(resolved: Resolved, source?: RandomWordSource): string {
  const { list, words, separator } = resolved;
  const parts: string[] = [];
  for (let w = 0; w < words; w++) {
    const word = list.words[uniformIndex(list.words.length, source)]!;
    let out = "";
    for (const ch of word) {
      const forms = LETTER_FORMS[ch]!;
      out += forms.length === 1 ? forms[0]! : forms[uniformIndex(forms.length, source)]!;
    }
    parts.push(out);
  }
  return parts.join(separator);
}

/**
 * Recovers the words of a generated password (`App3NDix` → `appendix`), e.g. to check a typed
 * password's shape. Returns undefined when `password` could not have come from the generator.
 */
export function passwordWords(password: string, separator = "-"): string[] | undefined {
  const parts = password.split(separator);
  const words: string[] = [];
  for (const part of parts) {
    let word = "";
    for (const ch of part) {
      const letter = FORM_TO_LETTER.get(ch);
      if (letter === undefined) return undefined;
      word += letter;
    }
    if (word.length === 0) return undefined;
    words.push(word);
  }
  return words;
}

const FORM_TO_LETTER = new Map<string, string>(
  Object.entries(LETTER_FORMS).flatMap(([letter, forms]) => forms.map((form) => [form, letter] as const)),
);
