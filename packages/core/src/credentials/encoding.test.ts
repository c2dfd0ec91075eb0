import { describe, expect, it } from "vitest";
import { base32, base64url } from "./encoding";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("base32", () => {
  it("matches the RFC 4648 test vectors (lower case, no padding)", () => {
    expect(base32(bytes(""))).toBe("");
    expect(base32(bytes("f"))).toBe("my");
    expect(base32(bytes("fo"))).toBe("mzxq");
    expect(base32(bytes("foo"))).toBe("mzxw6");
    expect(base32(bytes("foob"))).toBe("mzxw6yq");
    expect(base32(bytes("fooba"))).toBe("mzxw6ytb");
    expect(base32(bytes("foobar"))).toBe("mzxw6ytboi");
  });

  it("encodes every bit: all-ones and all-zero blocks", () => {
    expect(base32(new Uint8Array(5).fill(0xff))).toBe("77777777");
    expect(base32(new Uint8Array(5))).toBe("aaaaaaaa");
  });
});

describe("base64url", () => {
  it("uses the URL-safe alphabet without padding", () => {
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(base64url(bytes("foobar"))).toBe("Zm9vYmFy");
  });

  it("encodes a view, not the whole underlying buffer", () => {
    const buf = new Uint8Array([1, 2, 3, 4]);
    expect(base64url(buf.subarray(1, 3))).toBe(base64url(new Uint8Array([2, 3])));
  });
});
