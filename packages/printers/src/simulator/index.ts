export {
  type SimulatedFaults,
  type WireMode,
  type ZplSimulatorOptions,
  ZplPrinterSimulator,
} from "./zpl-simulator";
