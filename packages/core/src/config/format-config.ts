import { Document, isMap, isPair, isScalar, visit } from "yaml";
import type { FactoryConfig } from "./types";

/** Keys whose numbers read best in hex. */
const HEX_KEYS = new Set(["offset", "bootloader", "partitionTable", "app"]);

/**
 * The normalized config as text for people (`yaml`, offsets in hex) or programs (`json`).
 * The config never holds secrets (tokens are referenced by environment variable name), so the
 * output is safe to print and to attach to a support ticket.
 */
export function formatConfig(config: FactoryConfig, format: "yaml" | "json" = "yaml"): string {
  if (format === "json") return `${JSON.stringify(config, null, 2)}\n`;
  const doc = new Document(config);
  visit(doc, {
    Pair(_, pair, path) {
      const parent = path[path.length - 1];
      if (!isMap(parent) || !isPair(pair) || !isScalar(pair.key) || !isScalar(pair.value)) return;
      if (HEX_KEYS.has(String(pair.key.value)) && typeof pair.value.value === "number")
        pair.value.format = "HEX";
    },
  });
  return doc.toString({ lineWidth: 0 });
}
