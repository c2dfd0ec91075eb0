/**
 * @factory/demo: the virtual factory. `startDemo` runs the production server, a simulated
 * ProCurve watched by the label and debug stations, simulated appliance units (each answering
 * SSH) and an ESP flashing station in one process; `factory demo` is its command.
 */
export {
  type BuildFloor,
  type BuildFloorOptions,
  defaultFate,
  defaultHeadStart,
  type FloorEvents,
  type FloorSshAccess,
  type FloorSwitch,
  type FloorUnit,
  type FloorUnitState,
  startBuildFloor,
} from "./build-floor";
export { DEMO_PAGE_HTML } from "./demo-page";
export { type DemoRoutesOptions, demoRoutes } from "./demo-routes";
export { type EspLine, type EspLineOptions, startEspLine } from "./esp-line";
export {
  runSimulatedUnit,
  type SimulatedUnitOptions,
  type UnitFate,
  type UnitOutcome,
} from "./simulated-unit";
export { type DemoOptions, type DemoTokens, type RunningDemo, startDemo } from "./start-demo";
export { BUILD_STAGES, DEFAULT_SPEED, type DemoTiming, demoTiming } from "./timing";
export { startUnitServices, UNIT_SERVICES, type UnitService, type UnitServices } from "./unit-services";
export {
  createUnitSystem,
  guestSetupLines,
  runUnitCommand,
  type ShellResult,
  type UnitSystem,
} from "./unit-shell";
export { startUnitSsh, type UnitSsh, type UnitSshOptions } from "./unit-ssh";
