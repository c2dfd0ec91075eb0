import type { CliCommand } from "@factory/core";

/** Commands `@factory/demo` adds to the `factory` CLI. */
export const commands: Record<string, CliCommand> = {};
