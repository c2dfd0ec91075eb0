export { parseArpTable, parseInterfacesBrief, parseMacTable } from "./cli/parse";
export { ProcurveCli, type ProcurveCliOptions } from "./cli/session";
export type { CliSwitchOptions } from "./cli-switch";
export { CliSwitch } from "./cli-switch";
export {
  createProcurveSwitch,
  type ProcurveOptions,
  procurveDriver,
  procurveDriver as default,
} from "./driver";
export { ProcurveErrorCodes } from "./errors";
export { HP_MODELS } from "./oids";
export { SnmpClient, type SnmpOptions, type SnmpV3User } from "./snmp/client";
export { type LinkTrap, TrapListener, type TrapListenerOptions } from "./snmp/trap-listener";
export { SnmpSwitch, type SnmpSwitchOptions, type TrapOptions } from "./snmp-switch";
export type { WatchTiming } from "./watch/watcher";
