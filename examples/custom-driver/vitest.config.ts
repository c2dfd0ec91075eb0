import { defineProject } from "vitest/config";

export default defineProject({
  test: { name: "example-custom-driver", include: ["src/**/*.test.ts"], testTimeout: 15_000 },
});
