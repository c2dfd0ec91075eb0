/**
 * Where each `factory` command lives. Built-in commands run from this package; the others are
 * imported on demand from the `./cli` subpath of the package that owns them, which exports
 * `commands: Record<string, CliCommand>` keyed by the command as typed (`"serve"`, `"sim esp"`).
 * A plant that installs only `@factory/driver-esp` gets `factory sim esp` and not `factory serve`.
 *
 * This is the one table to edit when a package adds a command.
 */
export const COMMAND_PACKAGES: Readonly<Record<string, string>> = {
  serve: "@factory/server/cli",
  "server-token": "@factory/server/cli",
  demo: "@factory/demo/cli",
  label: "@factory/server/cli",
  debug: "@factory/server/cli",
  "sim esp": "@factory/driver-esp/cli",
  "sim procurve": "@factory/driver-procurve/cli",
};

/** One-line summaries of the contributed commands, shown in `factory --help` without importing them. */
export const COMMAND_SUMMARIES: Readonly<Record<string, string>> = {
  serve: "run the reference server: API, dashboard, stations",
  "server-token": "generate an API token for a role (unit, station, operator, admin)",
  demo: "run the virtual factory: server, simulated switch, units, flashing station, labels",
  label: "run the labeling station",
  debug: "run the debug station: SSH log collection from units on the debug port",
  "sim esp": "run an ESP32/ESP8266 ROM simulator on a pseudo-terminal",
  "sim procurve": "run a simulated HP ProCurve switch (SNMP agent with link traps)",
};

/** The npm package name inside a `<package>/cli` specifier: `@factory/server/cli` → `@factory/server`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}
