import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "@factory/core";
import { afterEach, describe, expect, it } from "vitest";
import { createRotatingLogSink } from "./rotating-log";

describe("rotating log (the seed's logging block)", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("rotates at max_file_size, keeps backup_count files, newest first, and redacts secrets", () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-log-"));
    const file = path.join(dir, "logs", "factory-provisioning.log");
    const log = createLogger({
      level: "info",
      sink: createRotatingLogSink({ file, maxFileSize: 400, backupCount: 2 }),
    });
    for (let i = 0; i < 40; i++)
      log.info(`line ${String(i).padStart(2, "0")}`, { deviceSecret: "s3cr3t-value", n: i });
    log.debug("not at this level");
    expect(readdirSync(path.dirname(file)).sort()).toEqual([
      "factory-provisioning.log",
      "factory-provisioning.log.1",
      "factory-provisioning.log.2",
    ]);
    const current = readFileSync(file, "utf8");
    const one = readFileSync(`${file}.1`, "utf8");
    const two = readFileSync(`${file}.2`, "utf8");
    for (const text of [current, one, two]) {
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(400);
      expect(text).not.toContain("s3cr3t");
    }
    expect(current).toContain("line 39");
    const last = (t: string) => Number(/line (\d+)/g.exec(t.trimEnd().split("\n").at(-1)!)![1]);
    const first = (t: string) => Number(/line (\d+)/.exec(t)![1]);
    // No line lost or repeated across the files that are kept.
    expect(first(one)).toBe(last(two) + 1);
    expect(first(current)).toBe(last(one) + 1);
    expect(current).not.toContain("not at this level");
  });
});
