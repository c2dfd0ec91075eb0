/**
 * `@factory/driver-procurve/simulator`: a simulated HP ProCurve switch speaking real SNMP on UDP,
 * for demos and tests that must run with no switch and no SNMP services installed.
 */

export type { SnmpAgentStats } from "./agent";
export { SIMULATED_MODELS, type SimulatedModel } from "./models";
export {
  type ProcurveSimulator,
  type ProcurveSimulatorOptions,
  type SimulatedModelName,
  type SimulatedPort,
  startProcurveSimulator,
  type TrapTarget,
} from "./simulator";
