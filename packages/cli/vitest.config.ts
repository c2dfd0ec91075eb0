import { defineProject } from "vitest/config";

// The child-process tests start node + tsx for each run: a few seconds apiece on 2 busy cores.
export default defineProject({
  test: { name: "cli", include: ["src/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
});
