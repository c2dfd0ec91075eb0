export {
  type SimulatedFaults,
  type WireMode,
  ZplPrinterSimulator,
  type ZplSimulatorOptions,
} from "./zpl-simulator";
