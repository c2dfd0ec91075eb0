import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "simulator/index": "src/simulator/index.ts", cli: "src/cli.ts" },
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  external: ["@factory/core", "net-snmp", "ssh2"],
});
