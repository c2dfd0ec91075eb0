import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { toIntelHex } from "@factory/core";
import { requirePeer } from "@factory/core/testing";
import { exposeOnPty, type PtyBridge } from "@factory/serial";
import { afterEach, describe, expect, it } from "vitest";
import { createOptibootSimulator } from "../simulator/index";
import { sketch } from "../test-support";
import { createAvrDriver } from "./driver";
import type { AvrSession } from "./session";

const hasPeers =
  requirePeer({ name: "socat", commands: ["socat"], install: "apt-get install socat" }) &&
  requirePeer({ name: "avrdude", commands: ["avrdude"], install: "apt-get install avrdude" });

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stderr });
    });
  });
}

describe.runIf(hasPeers)("interop with the real avrdude over a pseudo-terminal", () => {
  let dir: string;
  let bridge: PtyBridge | undefined;
  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it("avrdude -c arduino writes and verifies through the simulator; the driver reads back the same bytes", async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-avrdude-"));
    // A pty has no DTR: the test plays the reset button, and the bootloader waits without a watchdog.
    const sim = createOptibootSimulator({ board: "uno", bootTimeoutMs: null, startInBootloader: true });
    bridge = await exposeOnPty(sim, { path: path.join(dir, "ttyAVR0") });
    const image = sketch(5000, 42);
    const hexFile = path.join(dir, "sketch.hex");
    writeFileSync(hexFile, toIntelHex(image, 0));

    const result = await run(
      "avrdude",
      ["-c", "arduino", "-p", "m328p", "-P", bridge.path, "-b", "115200", "-U", `flash:w:${hexFile}:i`],
      60_000,
    );
    expect(result.stderr).toMatch(/5000 bytes of flash (written|verified)/);
    expect(result.code, result.stderr).toBe(0);
    expect(sim.stats.pagesWritten).toBeGreaterThanOrEqual(Math.ceil(5000 / 128));
    expect(Buffer.from(sim.flash.subarray(0, 5000)).equals(Buffer.from(image))).toBe(true);
    expect(sim.mode).not.toBe("bootloader"); // avrdude's LEAVE_PROGMODE started the sketch

    sim.pressReset();
    const driver = createAvrDriver({ board: "uno", reset: "none" });
    const session = await driver.open({ path: bridge.path });
    try {
      const identity = await session.identify();
      expect(identity.extra?.signature).toBe("1e950f");
      const readBack = await (session as AvrSession).read(0, 5000);
      expect(Buffer.from(readBack).equals(Buffer.from(image))).toBe(true);
      const hex = Buffer.from(toIntelHex(image, 0), "latin1");
      expect((await session.verify({ regions: [{ name: "sketch.hex", offset: 0, data: hex }] })).ok).toBe(
        true,
      );
    } finally {
      await session.close();
    }
  }, 90_000);
});
