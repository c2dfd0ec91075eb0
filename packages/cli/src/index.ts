export { COMMAND_PACKAGES, COMMAND_SUMMARIES, packageOf } from "./command-table";
export { configCheck } from "./commands/config-check";
export { loadCommand } from "./load-command";
export type { RunCliOptions } from "./run-cli";
export { BUILTIN_COMMANDS, cliVersion, runCli } from "./run-cli";
export { COMMAND_NOT_INSTALLED, EXIT, USAGE_ERROR, usageError } from "./usage-error";
