export { AVR_BOARDS } from "../boards";
export type { OptibootSimulatorOptions, OptibootStats } from "./optiboot";
export { createOptibootSimulator, OptibootSimulator } from "./optiboot";
