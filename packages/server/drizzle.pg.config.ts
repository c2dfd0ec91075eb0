import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/stores/schema-pg.ts",
  out: "./drizzle/pg",
});
