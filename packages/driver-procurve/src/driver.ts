import { defineSwitchDriver, ErrorCodes, type Logger, noopLogger, type SwitchDriver } from "@factory/core";
import { CliSwitch, type CliSwitchOptions } from "./cli-switch";
import { procurveError } from "./errors";
import type { SnmpOptions } from "./snmp/client";
import { SnmpSwitch, type SnmpSwitchOptions } from "./snmp-switch";

/** Options of the `procurve` switch driver, as written in config. */
export type ProcurveOptions =
  | ({ mode?: "snmp"; host: string; snmp?: Omit<SnmpOptions, "host"> } & Omit<SnmpSwitchOptions, "snmp">)
  | ({ mode: "cli"; host: string } & Omit<CliSwitchOptions, "ssh"> & {
        ssh: Omit<CliSwitchOptions["ssh"], "host">;
      });

/**
 * Creates a ProCurve switch driver: SNMP (default) or, for switches with SNMP disabled, the SSH CLI.
 *
 * @example
 * const sw = createProcurveSwitch({
 *   host: "10.0.0.2",
 *   snmp: { version: "2c", community: "factory-ro" },
 *   uplinks: ["24"],
 *   traps: { port: 162 },
 * });
 * for await (const e of sw.watch({ ports: ["21"], signal })) if (e.type === "mac-learned") label(e.mac);
 */
export function createProcurveSwitch(options: ProcurveOptions, logger: Logger = noopLogger): SwitchDriver {
  if (typeof options !== "object" || options === null) {
    throw procurveError(
      ErrorCodes.CONFIG_INVALID,
      "The procurve driver needs options ({ host, snmp | ssh })",
    );
  }
  if (typeof options.host !== "string" || options.host.trim() === "") {
    throw procurveError(ErrorCodes.CONFIG_INVALID, "The procurve driver needs the switch address (host)");
  }
  if (options.mode === "cli") {
    const { host, ssh, ...rest } = options;
    return new CliSwitch({ ...rest, ssh: { ...ssh, host } }, logger);
  }
  if (options.mode !== undefined && options.mode !== "snmp") {
    throw procurveError(ErrorCodes.CONFIG_INVALID, `mode "${String(options.mode)}" is not "snmp" or "cli"`);
  }
  const { host, snmp, mode: _mode, ...rest } = options;
  return new SnmpSwitch({ ...rest, snmp: { ...snmp, host } }, logger);
}

/** The package's driver factory: `switch: { driver: "@factory/driver-procurve", host, … }`. */
export const procurveDriver = defineSwitchDriver<ProcurveOptions>({
  name: "procurve",
  create: (options, { logger }) => createProcurveSwitch(options, logger),
});
