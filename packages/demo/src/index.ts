/**
 * @factory/demo: the virtual factory. `startDemo` runs the production server, a simulated
 * ProCurve watched by the label station, simulated appliance units and an ESP flashing station in
 * one process; `factory demo` is its command.
 */
export {
  type BuildFloor,
  type BuildFloorOptions,
  defaultFate,
  defaultHeadStart,
  type FloorEvents,
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
