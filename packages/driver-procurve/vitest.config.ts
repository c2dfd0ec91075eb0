import { defineProject } from "vitest/config";

// Real peers (snmpsimd, sshd) start per file; give them headroom on 2 cores.
export default defineProject({
  test: { name: "driver-procurve", include: ["src/**/*.test.ts"], testTimeout: 30_000, hookTimeout: 60_000 },
});
