import { describe, expect, it } from "vitest";
import {
  createError,
  ErrorCodes,
  FactoryError,
  isAbortError,
  isFactoryError,
  toFactoryError,
} from "./errors";

describe("errors", () => {
  it("prefixes the package and keeps code, cause and details", () => {
    const cause = new Error("EIO");
    const error = createError("driver-esp", "SYNC_FAILED", "No answer on /dev/ttyUSB3", {
      cause,
      details: { port: "/dev/ttyUSB3" },
    });
    expect(error.message).toBe("[driver-esp] No answer on /dev/ttyUSB3");
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ port: "/dev/ttyUSB3" });
    expect(error.retryable).toBe(true);
    expect(createError("core", "GATE_FAILED", "x").retryable).toBe(false);
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({
      code: "SYNC_FAILED",
      details: { port: "/dev/ttyUSB3" },
    });
  });

  it("recognises errors by brand, not instanceof, so two copies of core agree", () => {
    const foreign = Object.assign(new Error("from another copy"), {
      code: "PORT_BUSY",
      [Symbol.for("factory.error")]: true,
    });
    expect(foreign instanceof FactoryError).toBe(false);
    expect(isFactoryError(foreign)).toBe(true);
    expect(isFactoryError(foreign, "PORT_BUSY")).toBe(true);
    expect(isFactoryError(foreign, ["TIMEOUT", "PORT_BUSY"])).toBe(true);
    expect(isFactoryError(foreign, "TIMEOUT")).toBe(false);
    expect(isFactoryError(Object.assign(new Error("plain"), { code: "PORT_BUSY" }))).toBe(false);
    expect(isFactoryError(null)).toBe(false);
  });

  it("wraps anything thrown, mapping aborts to ABORTED", () => {
    expect(toFactoryError(new DOMException("gone", "AbortError")).code).toBe(ErrorCodes.ABORTED);
    const wrapped = toFactoryError("a string", "server");
    expect(wrapped.code).toBe(ErrorCodes.INTERNAL);
    expect(wrapped.message).toBe("[server] a string");
    const coded = createError("core", "TIMEOUT", "late");
    expect(toFactoryError(coded)).toBe(coded);
    expect(isAbortError(createError("core", "ABORTED", "x"))).toBe(true);
    expect(isAbortError(new Error("x"))).toBe(false);
  });
});
