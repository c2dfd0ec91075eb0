import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { requirePeer } from "@factory/core/testing";
import { createSimBinding, exposeOnPty, type PtyBridge } from "@factory/serial";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Stm32Driver } from "../driver/driver";
import { An3155Simulator } from "../simulator/an3155-device";
import { SimulatedChip } from "../simulator/chip";

const run = promisify(execFile);
const BASE = 0x0800_0000;
const hasPeers = requirePeer({
  name: "stm32flash and socat",
  commands: ["stm32flash", "socat"],
  install: "apt-get install stm32flash socat",
});

/**
 * The real stm32flash (Debian) against the AN3155 simulator on a pseudo-terminal. A pty cannot
 * hold even parity, so both stm32flash and the driver run the line as 8N1 there.
 */
describe.runIf(hasPeers)("interop with stm32flash over a pseudo-terminal", () => {
  let dir: string;
  let chip: SimulatedChip;
  let pty: PtyBridge;
  /** The same simulated part, reached in-process (as a second cable to the same silicon). */
  let local: Stm32Driver;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "stm32-interop-"));
    chip = new SimulatedChip({ pid: 0x413, seed: 77 });
    pty = await exposeOnPty(new An3155Simulator({ chip }), { path: path.join(dir, "ttySTM") });
    const binding = createSimBinding();
    binding.add("sim:same-chip", new An3155Simulator({ chip }));
    local = new Stm32Driver({ transport: "uart", binding });
  });

  afterAll(async () => {
    await pty?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stm32flash = (...args: string[]) =>
    run("stm32flash", ["-m", "8n1", "-b", "115200", ...args, pty.path], { timeout: 30_000 });

  it("stm32flash and the driver agree on what the device is", async () => {
    const { stdout } = await stm32flash();
    const pid = /Device ID\s*:\s*0x([0-9a-f]+)/i.exec(stdout)?.[1];
    expect(pid, stdout).toBeDefined();
    const session = await local.open({ path: "sim:same-chip" });
    try {
      const id = await session.identify();
      expect(id.extra?.productId).toBe(`0x${pid!.replace(/^0+/, "").toLowerCase()}`);
      const version = /Version\s*:\s*0x([0-9a-f]+)/i.exec(stdout)?.[1];
      expect(version && `${version[0]}.${version[1]}`).toBe(id.extra?.bootloaderVersion);
    } finally {
      await session.close();
    }
  });

  it("stm32flash writes and verifies an image; the driver reads back the same bytes", async () => {
    const image = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 131 + (i >> 9)) & 0xff);
    const file = path.join(dir, "image.bin");
    writeFileSync(file, image);
    const { stdout } = await stm32flash("-w", file, "-v", "-S", "0x08000000");
    expect(stdout).toMatch(/Wrote and verified|Done/);
    const session = await local.open({ path: "sim:same-chip" });
    try {
      const result = await session.verify({ regions: [{ name: "app", offset: BASE, data: image }] });
      expect(result.ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it("the driver writes through the pty and stm32flash reads back the same bytes", async () => {
    const image = Uint8Array.from({ length: 9_000 }, (_, i) => (i * 17 + 3) & 0xff);
    const driver = new Stm32Driver({ transport: "uart", parity: "none" });
    const session = await driver.open({ path: pty.path });
    try {
      await session.flash({ regions: [{ name: "app", offset: BASE + 0x4000, data: image }] });
    } finally {
      await session.close();
    }
    const out = path.join(dir, "readback.bin");
    await stm32flash("-r", out, "-S", `0x08004000:${image.length}`);
    expect(Buffer.compare(readFileSync(out), Buffer.from(image))).toBe(0);
  });
});
