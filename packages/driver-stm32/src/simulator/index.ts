export { An3155Simulator, type An3155SimulatorOptions, type FixtureWiring } from "./an3155-device";
export {
  type AppConsoleScript,
  type AppFaults,
  AppFirmware,
  type AppFirmwareOptions,
} from "./app-firmware";
export { appImage } from "./app-image";
export {
  F4_DATASHEET_TIMING,
  type FlashTiming,
  SimulatedChip,
  type SimulatedChipOptions,
  TEST_TIMING,
  type WriteOutcome,
} from "./chip";
export { type DfuFaults, DfuseModel, type DfuseModelOptions } from "./dfuse-device";
export { FakeDfuDevice, type FakeDfuDeviceOptions, FakeUsbHost, type UsbTiming } from "./fake-usb";
