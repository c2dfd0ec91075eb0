import { defineProject } from "vitest/config";

export default defineProject({
  // Real peers (PostgreSQL, sshd, CUPS, Chromium) on a loaded 2-core machine need headroom.
  test: { name: "server", include: ["src/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 },
});
