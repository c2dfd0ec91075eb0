import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "@factory/core";
import { requirePeer } from "@factory/core/testing";
import { afterEach, describe, expect, it } from "vitest";
import { openSerialLink } from "./link";
import { exposeOnPty } from "./pty-bridge";
import { IncrementingDevice } from "./test-devices";

const hasSocat = requirePeer({ name: "socat", commands: ["socat"], install: "apt-get install socat" });

describe.runIf(hasSocat)("pseudo-terminal bridge (real socat pty)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("carries all 256 byte values both ways, survives reopen, tolerates ENOTTY and cleans up", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "factory-pty-"));
    dirs.push(dir);
    const device = new IncrementingDevice();
    const bridge = await exposeOnPty(device, { path: path.join(dir, "ttySIM0") });
    expect(existsSync(bridge.path)).toBe(true);
    expect(bridge.ptyPath).toMatch(/^\/dev\/pts\/\d+$/);

    const warnings: string[] = [];
    const logger = createLogger({ level: "warn", sink: (r) => warnings.push(r.message) });
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (let round = 0; round < 2; round += 1) {
      const link = await openSerialLink(bridge.path, { baudRate: 115200, logger });
      expect(await link.setSignals({ dtr: true, rts: true })).toBe(false);
      await link.write(all);
      const back = await link.read(256, { timeoutMs: 3000 });
      expect([...back]).toEqual([...all].map((b) => (b + 1) & 0xff));
      await link.close();
    }
    expect(device.received).toEqual([...all, ...all]);
    expect(bridge.stats).toEqual({ toDevice: 512, toHost: 512 });
    expect(warnings.some((w) => /modem lines/.test(w))).toBe(true);

    await bridge.close();
    await bridge.close();
    expect(existsSync(bridge.path)).toBe(false);
  });

  it("refuses a path that already exists", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "factory-pty-"));
    dirs.push(dir);
    await expect(exposeOnPty(new IncrementingDevice(), { path: dir })).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
    });
  });

  it("reports a missing socat as NOT_SUPPORTED with the install command", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "factory-pty-"));
    dirs.push(dir);
    const error = await exposeOnPty(new IncrementingDevice(), {
      path: path.join(dir, "tty"),
      socat: path.join(dir, "no-socat-here"),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "NOT_SUPPORTED" });
    expect((error as Error).message).toContain("apt-get install socat");
  });
});
