export type * from "./board-driver";
export type * from "./label";
export type { PortInfo, PortRef } from "./port";
export { describePort } from "./port";
export type * from "./printer";
export type * from "./records";
export type * from "./station";
export type * from "./switch-driver";
export type * from "./unit-store";
