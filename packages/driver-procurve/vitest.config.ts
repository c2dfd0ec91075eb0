import { defineProject } from "vitest/config";

export default defineProject({ test: { name: "driver-procurve", include: ["src/**/*.test.ts"] } });
