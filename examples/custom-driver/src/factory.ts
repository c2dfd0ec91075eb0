import { defineBoardDriver } from "@factory/core";
import { createLineDriver } from "./driver";
import type { LineDriverOptions } from "./options";
import { FAMILY } from "./protocol";

/**
 * The package's default export: what `loadDriverFactory("board", "@factory/example-custom-driver")`
 * finds when a board config names this package as its `driver`.
 */
export const lineDriverFactory = defineBoardDriver<LineDriverOptions>({
  name: "line-protocol",
  families: [FAMILY],
  create: (options, { logger }) => createLineDriver({ logger, ...options }),
});
