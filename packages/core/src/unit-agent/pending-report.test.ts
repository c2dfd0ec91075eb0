import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFactoryError } from "../errors";
import { ReportStore } from "./pending-report";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "report-store-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("ReportStore", () => {
  it("stores the body and a fresh key, mode 0600, and survives a new instance", () => {
    const stored = new ReportStore(dir).store("ready", '{"a":1}');
    expect(stored.key).toMatch(/^[0-9a-f-]{36}$/);
    const again = new ReportStore(dir).pending();
    expect(again).toEqual(stored);
    expect(statSync(path.join(dir, "report.pending", "body.json")).mode & 0o777).toBe(0o600);
  });

  it("makes one report per unit", () => {
    const store = new ReportStore(dir);
    store.store("failed", "{}");
    expect(() => store.store("ready", "{}")).toThrow(expect.objectContaining({ code: "REPORT_EXISTS" }));
    store.markDelivered(201);
    let error: unknown;
    try {
      store.store("ready", "{}");
    } catch (e) {
      error = e;
    }
    expect(isFactoryError(error, "REPORT_EXISTS")).toBe(true);
  });

  it("drops the body (passwords) once delivered and keeps key and status", () => {
    const store = new ReportStore(dir);
    const { key } = store.store("ready", '{"admin_password":"x"}');
    store.markDelivered(200);
    expect(store.pending()).toBeUndefined();
    expect(store.delivered()).toEqual({ key, status: "ready" });
    expect(readFileSync(path.join(dir, "report.delivered", "http-status"), "utf8")).toBe("200\n");
    expect(() => statSync(path.join(dir, "report.delivered", "body.json"))).toThrow();
  });

  it("moves a refused report aside for a person to read", () => {
    const store = new ReportStore(dir);
    store.store("failed", "{}");
    store.markRefused();
    expect(store.pending()).toBeUndefined();
    expect(readFileSync(path.join(dir, "report.rejected", "body.json"), "utf8")).toBe("{}");
  });
});
