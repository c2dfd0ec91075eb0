import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "driver-pico",
    include: ["src/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Simulated boards re-enumerate on timers; give polls room on a loaded 2-core CI machine.
    expect: { poll: { timeout: 10_000 } },
  },
});
