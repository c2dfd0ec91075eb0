import { describe, expect, it } from "vitest";
import { LETTER_FORMS } from "./letter-forms";
import {
  describePasswordEntropy,
  generatePassword,
  generatePasswordWithSource,
  passwordEntropyBits,
  passwordWordList,
  passwordWords,
} from "./password";
import { codeOf } from "./test-support";

/**
 * Every password `generatePassword({ words: 1, wordList })` can return, with its probability,
 * enumerated from the letter-form table (independently of the entropy formula).
 */
function enumerateOneWord(wordList: readonly string[]): Map<string, number> {
  const space = new Map<string, number>();
  for (const word of wordList) {
    let outcomes: [string, number][] = [["", 1 / wordList.length]];
    for (const ch of word) {
      const forms = LETTER_FORMS[ch]!;
      outcomes = outcomes.flatMap(([prefix, p]) =>
        forms.map((f) => [prefix + f, p / forms.length] as [string, number]),
      );
    }
    for (const [pw, p] of outcomes) space.set(pw, (space.get(pw) ?? 0) + p);
  }
  return space;
}

/** Chi-square statistic of observed counts against expected probabilities. */
function chiSquare(observed: Map<string, number>, expected: Map<string, number>, draws: number): number {
  let chi2 = 0;
  for (const [key, p] of expected) {
    const e = p * draws;
    chi2 += ((observed.get(key) ?? 0) - e) ** 2 / e;
  }
  return chi2;
}

describe("built-in word list", () => {
  it("is a real list of distinct lower-case words of 4 to 8 letters", () => {
    const list = passwordWordList();
    expect(list.length).toBeGreaterThan(20_000);
    expect(new Set(list).size).toBe(list.length);
    for (const word of list) expect(word).toMatch(/^[a-z]{4,8}$/);
    for (const word of ["garden", "window", "pencil", "orange"]) expect(list).toContain(word);
  });
});

describe("passwordEntropyBits", () => {
  it("gives at least 64 bits by default, computed from the list and the letter forms", () => {
    const e = describePasswordEntropy();
    const list = passwordWordList();
    expect(e.words).toBe(4);
    expect(e.listSize).toBe(list.length);
    expect(e.bitsPerWord).toBeCloseTo(Math.log2(list.length), 12);
    // The word with the fewest choices fixes the guaranteed figure.
    const perWordChoices = list.map((w) => [...w].reduce((n, ch) => n * LETTER_FORMS[ch]!.length, 1));
    const fewest = Math.min(...perWordChoices);
    expect(e.minLetterBitsPerWord).toBeCloseTo(Math.log2(fewest), 12);
    expect(e.minEntropyBits).toBeCloseTo(4 * Math.log2(list.length * fewest), 9);
    expect(passwordEntropyBits()).toBe(e.minEntropyBits);
    expect(passwordEntropyBits()).toBeGreaterThanOrEqual(64);
    expect(e.meanEntropyBits).toBeGreaterThan(e.minEntropyBits);
  });

  it("equals -log2 of the most likely outcome of the generator's choice space", () => {
    const wordList = ["cat", "fox", "bead", "zzz"];
    const space = enumerateOneWord(wordList);
    const maxP = Math.max(...space.values());
    const total = [...space.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 12);
    const one = describePasswordEntropy({ wordList, words: 1, minEntropyBits: 0 });
    expect(one.minEntropyBits).toBeCloseTo(-Math.log2(maxP), 12);
    const shannon = -[...space.values()].reduce((s, p) => s + p * Math.log2(p), 0);
    expect(one.meanEntropyBits).toBeCloseTo(shannon, 12);
    // Words are independent, so n words multiply the probabilities.
    expect(passwordEntropyBits({ wordList, words: 3, minEntropyBits: 0 })).toBeCloseTo(
      -3 * Math.log2(maxP),
      12,
    );
  });

  it("produces exactly the enumerated choice space, with the enumerated probabilities", () => {
    const wordList = ["bat", "sea", "ox"];
    const space = enumerateOneWord(wordList);
    // 2·3·2 + 2·3·3 + 2·1 = 12 + 18 + 2 outcomes.
    expect(space.size).toBe(32);
    const draws = 32_000;
    const seen = new Map<string, number>();
    for (let i = 0; i < draws; i++) {
      const pw = generatePassword({ wordList, words: 1, minEntropyBits: 0 });
      expect(space.has(pw)).toBe(true);
      seen.set(pw, (seen.get(pw) ?? 0) + 1);
    }
    expect(seen.size).toBe(space.size);
    // df = 31: P(chi2 > 80) < 1e-5.
    expect(chiSquare(seen, space, draws)).toBeLessThan(80);
  });
});

describe("generatePassword", () => {
  it("joins the default number of words from the list with '-'", () => {
    const list = new Set(passwordWordList());
    for (let i = 0; i < 200; i++) {
      const pw = generatePassword();
      const words = passwordWords(pw);
      expect(words).toHaveLength(4);
      for (const w of words!) expect(list.has(w)).toBe(true);
    }
  });

  it("only prints characters that cannot be mistaken for one another on a label", () => {
    const all = Array.from({ length: 2000 }, () => generatePassword()).join("");
    expect(all).not.toMatch(/[OISl26789]/);
    expect(new Set(all.match(/[0-9]/g))).toEqual(new Set(["0", "1", "3", "4", "5"]));
    expect(all).not.toMatch(/[CUVWXZ]/);
  });

  it("uses the separator and word count asked for", () => {
    const pw = generatePassword({ words: 6, separator: "_" });
    expect(pw.split("_")).toHaveLength(6);
    expect(passwordWords(pw, "_")).toHaveLength(6);
  });

  it("is unique over many draws", () => {
    const set = new Set(Array.from({ length: 20_000 }, () => generatePassword()));
    expect(set.size).toBe(20_000);
  });

  it("draws words evenly over the whole list (chi-square over 64 slices)", () => {
    const list = passwordWordList();
    const index = new Map(list.map((w, i) => [w, i]));
    const buckets = 64;
    const counts = new Array<number>(buckets).fill(0);
    let n = 0;
    for (let i = 0; i < 8000; i++) {
      for (const w of passwordWords(generatePassword())!) {
        counts[Math.floor((index.get(w)! * buckets) / list.length)]! += 1;
        n += 1;
      }
    }
    let chi2 = 0;
    for (let b = 0; b < buckets; b++) {
      const lo = Math.ceil((b * list.length) / buckets);
      const hi = Math.ceil(((b + 1) * list.length) / buckets);
      const e = (n * (hi - lo)) / list.length;
      chi2 += (counts[b]! - e) ** 2 / e;
    }
    // df = 63: P(chi2 > 125) < 1e-5.
    expect(chi2).toBeLessThan(125);
  });

  it("picks each letter's forms evenly and independently of the previous letter (chi-square)", () => {
    // Count the printed form of every 'a', 'e' (3 forms) and 't' (2 forms), and pairs of forms of
    // consecutive 'e's; a generator that favoured a case or repeated the last choice would fail.
    const counts = new Map<string, number>();
    const pairs = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    for (let i = 0; i < 4000; i++) {
      const pw = generatePassword();
      const words = passwordWords(pw)!;
      let offset = 0;
      for (const word of words) {
        for (let j = 0; j < word.length; j++) {
          const letter = word[j]!;
          const form = pw[offset + j]!;
          if ("aet".includes(letter)) bump(counts, `${letter}:${form}`);
          if (j > 0 && letter === "e" && word[j - 1] === "e") bump(pairs, `${pw[offset + j - 1]}${form}`);
        }
        offset += word.length + 1;
      }
    }
    for (const letter of ["a", "e", "t"]) {
      const forms = LETTER_FORMS[letter]!;
      const total = forms.reduce((s, f) => s + (counts.get(`${letter}:${f}`) ?? 0), 0);
      const expected = new Map(forms.map((f) => [`${letter}:${f}`, 1 / forms.length]));
      expect(total).toBeGreaterThan(1000);
      // df <= 2: P(chi2 > 25) < 1e-5.
      expect(chiSquare(counts, expected, total)).toBeLessThan(25);
    }
    const pairTotal = [...pairs.values()].reduce((a, b) => a + b, 0);
    const eForms = LETTER_FORMS.e!;
    const pairExpected = new Map(eForms.flatMap((x) => eForms.map((y) => [`${x}${y}`, 1 / 9] as const)));
    expect(pairTotal).toBeGreaterThan(200);
    // df = 8: P(chi2 > 40) < 1e-5.
    expect(chiSquare(pairs, pairExpected, pairTotal)).toBeLessThan(40);
  });

  it("maps scripted random words to the list entry and letter forms they select", () => {
    // 1 word from ["ab", "be"]: index 1 → "be"; 'b' form 1 → "B"; 'e' form 2 → "3".
    const script = [1, 1, 2];
    const pw = generatePasswordWithSource({ wordList: ["ab", "be"], words: 1, minEntropyBits: 0 }, (w) => {
      w[0] = script.shift()!;
    });
    expect(pw).toBe("B3");
  });
});

describe("bad options", () => {
  it("refuses options that cannot reach the required entropy, naming the shortfall", () => {
    expect(codeOf(() => generatePassword({ words: 2 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => passwordEntropyBits({ words: 3 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => generatePassword({ minEntropyBits: 2000 }))).toBe("INVALID_ARGUMENT");
    expect(() => generatePassword({ words: 3 })).toThrow(/3 words give 5\d\.\d bits, below the required 64/);
    expect(passwordEntropyBits({ words: 3, minEntropyBits: 50 })).toBeGreaterThan(50);
  });

  it("picks the fewest words that reach minEntropyBits", () => {
    expect(describePasswordEntropy({ minEntropyBits: 80 }).words).toBe(5);
    expect(describePasswordEntropy({ minEntropyBits: 17 }).words).toBe(1);
    expect(describePasswordEntropy({ minEntropyBits: 18 }).words).toBe(2);
  });

  it("refuses bad separators, word counts and word lists", () => {
    for (const separator of ["", " ", "a", "1", "----", "\n"]) {
      expect(codeOf(() => generatePassword({ separator }))).toBe("INVALID_ARGUMENT");
    }
    for (const words of [0, -1, 2.5, 17, Number.NaN]) {
      expect(codeOf(() => generatePassword({ words, minEntropyBits: 0 }))).toBe("INVALID_ARGUMENT");
    }
    expect(codeOf(() => generatePassword({ wordList: ["one"], minEntropyBits: 0 }))).toBe("INVALID_ARGUMENT");
    expect(codeOf(() => generatePassword({ wordList: ["one", "one"], minEntropyBits: 0 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(codeOf(() => generatePassword({ wordList: ["one", "Two"], minEntropyBits: 0 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(codeOf(() => generatePassword({ minEntropyBits: -1 }))).toBe("INVALID_ARGUMENT");
  });
});

describe("passwordWords", () => {
  it("recovers the words of the seed's example passwords and rejects foreign characters", () => {
    expect(passwordWords("c0nFeTT1-j0GGiNg-4PP3NDix")).toEqual(["confetti", "jogging", "appendix"]);
    expect(passwordWords("BasiL-4nt3nn4e")).toEqual(["basil", "antennae"]);
    expect(passwordWords("basiL")).toEqual(["basil"]);
    // A lower-case l is never printed (it reads as 1 or I), so it cannot come from the generator.
    expect(passwordWords("basil")).toBeUndefined();
    expect(passwordWords("Oops")).toBeUndefined();
    expect(passwordWords("a--b")).toBeUndefined();
  });
});
