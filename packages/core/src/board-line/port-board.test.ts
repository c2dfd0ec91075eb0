import { describe, expect, it } from "vitest";
import type { DeviceResult, PipelineEvent } from "../pipeline/types";
import { PortBoard, portViewToWire } from "./port-board";

const at = new Date("2026-01-01T00:00:00Z");
const port = { path: "/dev/ttyUSB3", label: "A3" };
const identity = {
  family: "esp32",
  chip: "ESP32-D0WD-V3",
  mac: "24:0a:c4:00:00:03",
  uniqueId: "240ac4000003",
};
const result = (over: Partial<DeviceResult>): DeviceResult => ({
  port,
  status: "passed",
  boardType: "esp32",
  tests: [],
  gates: [],
  attempts: 1,
  startedAt: at,
  finishedAt: at,
  ...over,
});
const running: PipelineEvent[] = [
  { type: "port-state", port, state: "busy", at },
  { type: "device-start", port, at, boardType: "esp32" },
  { type: "attempt-start", port, at, attempt: 1, maxAttempts: 2 },
  { type: "identified", port, at, identity },
  { type: "step-start", port, at, step: "write", attempt: 1 },
  {
    type: "progress",
    port,
    at,
    step: "write",
    progress: { region: "app", phase: "write", bytesDone: 4096, bytesTotal: 131072 },
    bytesPerSecond: 40960.4,
  },
];

describe("PortBoard", () => {
  it("lists ports in the order added, empty until an event, per station", () => {
    const board = new PortBoard();
    board.add("s1", port);
    board.add("s1", { path: "/dev/ttyUSB4" });
    board.add("s2", { path: "/dev/ttyACM0" });
    board.add("s1", port);
    expect(board.all().map((v) => [v.station, v.port, v.state])).toEqual([
      ["s1", "A3 (/dev/ttyUSB3)", "empty"],
      ["s1", "/dev/ttyUSB4", "empty"],
      ["s2", "/dev/ttyACM0", "empty"],
    ]);
    expect(board.stations()).toEqual(["s1", "s2"]);
    expect(board.station("s2").map((v) => v.port)).toEqual(["/dev/ttyACM0"]);
  });

  it("folds a board's events into its row and says which are milestones", () => {
    const board = new PortBoard();
    const lines = running.map((e) => board.apply("s1", e));
    expect(lines.filter(Boolean)).toEqual([
      "s1 A3 (/dev/ttyUSB3) identified ESP32-D0WD-V3 24:0a:c4:00:00:03",
      "s1 A3 (/dev/ttyUSB3) write",
    ]);
    expect(portViewToWire(board.station("s1")[0]!)).toEqual({
      port: "A3 (/dev/ttyUSB3)",
      state: "busy",
      chip: "ESP32-D0WD-V3",
      mac: "24:0a:c4:00:00:03",
      step: "write",
      bytes_done: 4096,
      bytes_total: 131072,
      bytes_per_second: 40960,
    });
    expect(
      board.apply("s1", {
        type: "step-failed",
        port,
        at,
        step: "verify",
        attempt: 1,
        error: { code: "VERIFY_FAILED", message: "app MD5 differs" },
        willRetry: true,
      }),
    ).toBe("s1 A3 (/dev/ttyUSB3) verify failed VERIFY_FAILED: app MD5 differs (will retry)");
    expect(board.apply("s1", { type: "attempt-start", port, at, attempt: 2, maxAttempts: 2 })).toBe(
      "s1 A3 (/dev/ttyUSB3) attempt 2/2",
    );
  });

  it("keeps how a board ended and on which board, not its last step; a passing retry drops the old error", () => {
    const board = new PortBoard();
    for (const e of running) board.apply("s1", e);
    board.apply("s1", {
      type: "step-failed",
      port,
      at,
      step: "write",
      attempt: 1,
      error: { code: "DEVICE_LOST", message: "gone" },
      willRetry: true,
    });
    const line = board.apply("s1", {
      type: "device-done",
      port,
      at,
      result: result({ status: "passed", deviceId: "esp32-240ac4000003", identity, attempts: 2 }),
    });
    expect(line).toBe("s1 A3 (/dev/ttyUSB3) PASSED esp32-240ac4000003");
    expect(portViewToWire(board.all()[0]!)).toEqual({
      port: "A3 (/dev/ttyUSB3)",
      state: "passed",
      chip: "ESP32-D0WD-V3",
      mac: "24:0a:c4:00:00:03",
    });
    // The finished board still in its socket keeps its result when the watcher sees it present.
    board.apply("s1", { type: "port-state", port, state: "present", at });
    expect(board.all()[0]!.state).toBe("passed");
  });

  it("starts a clean row for the next board and when the port empties", () => {
    const board = new PortBoard();
    for (const e of running) board.apply("s1", e);
    board.apply("s1", {
      type: "device-done",
      port,
      at,
      result: result({
        status: "failed",
        error: { code: "VERIFY_FAILED", message: "MD5 mismatch", step: "verify" },
      }),
    });
    expect(board.all()[0]).toMatchObject({
      state: "failed",
      error: "VERIFY_FAILED: MD5 mismatch",
      chip: "ESP32-D0WD-V3",
    });
    board.apply("s1", { type: "port-state", port, state: "busy", at });
    expect(board.all()[0]).toEqual({ station: "s1", port: "A3 (/dev/ttyUSB3)", state: "busy" });
    board.apply("s1", { type: "identified", port, at, identity });
    board.apply("s1", { type: "port-state", port, state: "busy", at });
    expect(board.all()[0]!.chip).toBe("ESP32-D0WD-V3");
    board.apply("s1", { type: "device-start", port, at, boardType: "esp32" });
    expect(board.all()[0]).toEqual({ station: "s1", port: "A3 (/dev/ttyUSB3)", state: "busy" });
    for (const e of running) board.apply("s1", e);
    board.apply("s1", { type: "port-state", port, state: "empty", at });
    expect(board.all()[0]).toEqual({ station: "s1", port: "A3 (/dev/ttyUSB3)", state: "empty" });
  });

  it("bounds the error text it sends and changes a station's version on every event", () => {
    const board = new PortBoard();
    board.add("s1", port);
    board.add("s2", { path: "x" });
    const v1 = board.version("s1");
    const v2 = board.version("s2");
    board.apply("s1", {
      type: "device-done",
      port,
      at,
      result: result({ status: "failed", error: { code: "INTERNAL", message: "x".repeat(2000) } }),
    });
    expect(board.version("s1")).not.toBe(v1);
    expect(board.version("s2")).toBe(v2);
    expect(portViewToWire(board.all()[0]!).error).toHaveLength(500);
  });
});
