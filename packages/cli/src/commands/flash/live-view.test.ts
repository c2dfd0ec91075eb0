import { Writable } from "node:stream";
import type { CliIO, PipelineEvent } from "@factory/core";
import { describe, expect, it } from "vitest";
import { LiveView } from "./live-view";

function io(tty: boolean) {
  const chunks: string[] = [];
  const stdout = Object.assign(
    new Writable({
      write(chunk, _e, done) {
        chunks.push(String(chunk));
        done();
      },
    }),
    { isTTY: tty, columns: 200 },
  );
  const cli: CliIO = { stdout, stderr: stdout, env: {}, cwd: "/", signal: new AbortController().signal };
  return { cli, text: () => chunks.join("") };
}

const at = new Date("2026-01-01T00:00:00Z");
const port = { path: "/dev/ttyUSB3", label: "A3" };
const events: PipelineEvent[] = [
  { type: "device-start", port, at, boardType: "esp32" },
  {
    type: "identified",
    port,
    at,
    identity: { family: "esp32", chip: "ESP32-D0WD-V3", mac: "24:0a:c4:00:00:03", uniqueId: "240ac4000003" },
  },
  { type: "step-start", port, at, step: "write", attempt: 1 },
  {
    type: "progress",
    port,
    at,
    step: "write",
    progress: { region: "app", phase: "write", bytesDone: 512 * 1024, bytesTotal: 1024 * 1024 },
    bytesPerSecond: 90 * 1024,
  },
];

describe("live per-port view", () => {
  it("on a TTY redraws one line per port with chip, MAC, step, bytes and speed", () => {
    const { cli, text } = io(true);
    const view = new LiveView(cli, { refreshMs: 60_000 });
    view.addPort("station_1", port);
    view.addPort("station_1", { path: "/dev/ttyUSB4", label: "A4" });
    for (const e of events) view.event("station_1", e);
    view.stop();
    const frame = text();
    expect(frame).toMatch(
      /station_1\s+A3 \(\/dev\/ttyUSB3\)\s+ESP32-D0WD-V3\s+24:0a:c4:00:00:03\s+write\s+512 KB\/1\.0 MB 50% 90 KB\/s/,
    );
    expect(frame).toMatch(/station_1\s+A4 \(\/dev\/ttyUSB4\)\s+-\s+-\s+EMPTY/);
    expect(frame).toContain("\x1b[2K");
    // The milestone lines of plain output are not printed on a TTY.
    expect(frame).not.toContain("identified ESP32");
  });

  it("off a TTY prints timestamped milestone lines and no escape codes", () => {
    const { cli, text } = io(false);
    const view = new LiveView(cli);
    for (const e of events) view.event("station_1", e);
    view.event("station_1", {
      type: "step-failed",
      port,
      at,
      step: "verify",
      attempt: 1,
      error: { code: "VERIFY_FAILED", message: "app MD5 differs" },
      willRetry: true,
    });
    view.stop();
    expect(text()).toBe(
      [
        "2026-01-01T00:00:00.000Z station_1 A3 (/dev/ttyUSB3) identified ESP32-D0WD-V3 24:0a:c4:00:00:03",
        "2026-01-01T00:00:00.000Z station_1 A3 (/dev/ttyUSB3) write",
        "2026-01-01T00:00:00.000Z station_1 A3 (/dev/ttyUSB3) verify failed VERIFY_FAILED: app MD5 differs (will retry)",
        "",
      ].join("\n"),
    );
  });
});
