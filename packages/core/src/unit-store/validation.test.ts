import { describe, expect, it } from "vitest";
import type { UnitReport } from "../contracts/unit-store";
import { ErrorCodes, isFactoryError } from "../errors";
import { unitStoreErrors } from "./errors";
import { stableJson } from "./stable-json";
import { normaliseRegistration, validateUnitReport, validDate } from "./validation";

const invalidWith = (message: string) => (e: unknown) =>
  isFactoryError(e, ErrorCodes.INVALID_ARGUMENT) && (e as Error).message === message;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}

describe("validateUnitReport", () => {
  const ready = {
    mac: "aa:bb:cc:dd:ee:01",
    status: "ready",
    serial: "SN1",
    credentials: { adminPassword: "a", servicesPassword: "b" },
  } as const;

  it("accepts a complete ready report and a bare failed one", () => {
    expect(() => validateUnitReport(ready, "t")).not.toThrow();
    expect(() => validateUnitReport({ mac: ready.mac, status: "failed" }, "t")).not.toThrow();
  });

  it.each([
    [{ ...ready, serial: "" }, "[t] A ready report needs a serial"],
    [
      { ...ready, credentials: { adminPassword: "a" } },
      "[t] A ready report needs adminPassword and servicesPassword",
    ],
    [{ mac: ready.mac, status: "building" }, '[t] Report status must be "ready" or "failed"'],
    [
      { mac: ready.mac, status: "failed", buildTime: new Date(Number.NaN) },
      "[t] buildTime must be a valid date",
    ],
  ])("rejects %j", (report, message) => {
    expect(invalidWith(message)(thrown(() => validateUnitReport(report as unknown as UnitReport, "t")))).toBe(
      true,
    );
  });
});

describe("validDate", () => {
  it("returns a valid date and names the field of an invalid one", () => {
    const d = new Date("2025-01-01T00:00:00Z");
    expect(validDate(d, "at", "t")).toBe(d);
    expect(invalidWith("[t] at must be a valid date")(thrown(() => validDate("2025-01-01", "at", "t")))).toBe(
      true,
    );
  });
});

describe("normaliseRegistration", () => {
  const reg = { deviceId: "d1", uniqueId: "u1", boardType: "esp32" };

  it("normalises the MAC and keeps the rest", () => {
    expect(normaliseRegistration({ ...reg, mac: "AA-BB-CC-DD-EE-01", batchId: "b" }, "t")).toEqual({
      ...reg,
      mac: "aa:bb:cc:dd:ee:01",
      batchId: "b",
    });
    expect(normaliseRegistration(reg, "t")).not.toHaveProperty("mac");
  });

  it.each(["deviceId", "uniqueId", "boardType"] as const)("requires %s", (field) => {
    const error = thrown(() => normaliseRegistration({ ...reg, [field]: "" }, "t"));
    expect(invalidWith(`[t] ${field} is required`)(error)).toBe(true);
  });
});

describe("unitStoreErrors", () => {
  it("codes each error and carries its details", () => {
    const e = unitStoreErrors("t");
    expect(e.transition("m", "labeled", "building")).toMatchObject({
      code: ErrorCodes.INVALID_TRANSITION,
      message: "[t] Unit m is labeled; it cannot go to building",
      details: { mac: "m", from: "labeled", to: "building" },
    });
    expect(e.notFound("m")).toMatchObject({ code: ErrorCodes.NOT_FOUND, details: { mac: "m" } });
    expect(e.keyConflict("m")).toMatchObject({ code: ErrorCodes.CONFLICT, details: { mac: "m" } });
    expect(e.registrationConflict("d")).toMatchObject({
      code: ErrorCodes.CONFLICT,
      details: { deviceId: "d" },
    });
    expect(e.invalid("bad", { field: "x" })).toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
      details: { field: "x" },
    });
  });
});

describe("stableJson", () => {
  it("gives the same text whatever the key order, at every depth", () => {
    expect(stableJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: new Date(0) } })).toBe(
      stableJson({ a: { c: new Date(0), d: [2, { y: 2, z: 1 }] }, b: 1 }),
    );
    expect(stableJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });
});
