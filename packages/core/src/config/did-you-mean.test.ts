import { describe, expect, it } from "vitest";
import { closestMatch, didYouMean, editDistance } from "./did-you-mean";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and transpositions", () => {
    expect(editDistance("firmware_path", "firmware_path")).toBe(0);
    expect(editDistance("firmware_pth", "firmware_path")).toBe(1);
    expect(editDistance("bord_type", "board_type")).toBe(1);
    expect(editDistance("stations", "statoins")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });
});

describe("closestMatch", () => {
  const keys = ["station_id", "ports", "board_type"];

  it("suggests the key a typo was meant to be", () => {
    expect(closestMatch("board_typ", keys)).toBe("board_type");
    expect(closestMatch("prots", keys)).toBe("ports");
    expect(closestMatch("stationid", keys)).toBe("station_id");
  });

  it("matches camelCase and kebab-case spellings of a snake_case key", () => {
    expect(closestMatch("boardType", keys)).toBe("board_type");
    expect(closestMatch("board-type", keys)).toBe("board_type");
  });

  it("says nothing when no candidate is close", () => {
    expect(closestMatch("colour", keys)).toBeUndefined();
    expect(closestMatch("x", [])).toBeUndefined();
    expect(didYouMean("colour", keys)).toBe("");
    expect(didYouMean("bord_type", keys)).toBe(' (did you mean "board_type"?)');
  });
});
