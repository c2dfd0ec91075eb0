import { defineConfig } from "tsup";

export default defineConfig({
  entry: { index: "src/index.ts", "simulator/index": "src/simulator/index.ts" },
  format: ["esm"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  external: ["@factory/core", "pdf-lib", "@pdf-lib/fontkit", "qrcode"],
});
