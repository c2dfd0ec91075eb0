import { describe, expect, it } from "vitest";
import { createLogger, type LogLevel, noopLogger, redactSecrets } from "./logger";

describe("logger", () => {
  it("redacts secrets at any depth and keeps the rest", () => {
    const out = redactSecrets({
      mac: "aa:bb",
      admin_password: "confett1-j0gging-App3NDix",
      nested: { servicesPassword: "x", list: [{ provisioningToken: "pt_1" }], count: 2 },
      Authorization: "Bearer abc",
    });
    expect(out).toEqual({
      mac: "aa:bb",
      admin_password: "[redacted]",
      nested: { servicesPassword: "[redacted]", list: [{ provisioningToken: "[redacted]" }], count: 2 },
      Authorization: "[redacted]",
    });
  });

  it("filters by level, merges child fields and never lets a sink error escape", () => {
    const lines: { level: LogLevel; message: string; fields: Record<string, unknown> }[] = [];
    const log = createLogger({ level: "info", sink: (r) => lines.push(r) });
    log.debug("hidden");
    log.child({ port: "/dev/ttyUSB0" }).warn("retrying", { attempt: 2, deviceSecret: "s3cret" });
    expect(lines).toEqual([
      {
        level: "warn",
        message: "retrying",
        fields: { port: "/dev/ttyUSB0", attempt: 2, deviceSecret: "[redacted]" },
        time: expect.any(Date),
      },
    ]);
    const throwing = createLogger({
      sink: () => {
        throw new Error("disk full");
      },
    });
    expect(() => throwing.error("x")).not.toThrow();
    expect(noopLogger.child({}).info("x")).toBeUndefined();
  });
});
