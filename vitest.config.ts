import { defineConfig } from "vitest/config";

// One vitest project per workspace package; each package keeps its own vitest.config.ts.
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts"],
    // Tests that talk to real peers (PostgreSQL, snmpsim, sshd, CUPS, Chromium) need headroom on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
