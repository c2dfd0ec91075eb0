import { existsSync } from "node:fs";
import { PassThrough } from "node:stream";
import { requirePeer } from "@factory/core/testing";
import { describe, expect, it } from "vitest";
import { commands } from "./cli";
import { createEspDriver } from "./driver/driver";

const hasSocat = requirePeer({
  name: "socat (pseudo-terminal pairs)",
  commands: ["socat"],
  install: "apt-get install socat",
});

describe("factory sim esp", () => {
  it("rejects bad arguments with exit code 2", async () => {
    const stderr = new PassThrough();
    let text = "";
    stderr.on("data", (d) => {
      text += String(d);
    });
    const io = {
      stdout: new PassThrough(),
      stderr,
      env: {},
      cwd: process.cwd(),
      signal: new AbortController().signal,
    };
    expect(await commands["sim esp"]!.run(["esp", "--chip", "esp99"], io)).toBe(2);
    expect(text).toMatch(/unknown chip "esp99"/);
  });

  it.runIf(hasSocat).each(["esp8266", "esp32c6"] as const)(
    "serves an %s on a pty the driver can open, and stops on the signal",
    async (chip) => {
      const stdout = new PassThrough();
      let text = "";
      stdout.on("data", (d) => {
        text += String(d);
      });
      const controller = new AbortController();
      const io = {
        stdout,
        stderr: new PassThrough(),
        env: {},
        cwd: process.cwd(),
        signal: controller.signal,
      };
      const running = commands["sim esp"]!.run(["esp", "--pty", "--chip", chip, "--timing", "instant"], io);
      const end = Date.now() + 5000;
      while (!/ on (\S+) /.test(text) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const path = / on (\S+) /.exec(text)?.[1];
      expect(path && existsSync(path)).toBe(true);
      const session = await createEspDriver({ reset: "none", baudRate: 115200 }).open({ path: path! });
      expect((await session.identify()).family).toBe(chip);
      await session.close();
      controller.abort();
      expect(await running).toBe(0);
      expect(text).toMatch(/commands received: .*"0x08"/);
    },
  );
});
