/**
 * @factory/driver-esp/simulator: a byte-exact ESP ROM loader and flasher stub with SPI flash,
 * reachable in-process (a serialport binding) and over a pseudo-terminal.
 */
export { EspSimBinding, SimPort } from "./binding";
export { instantClock, prng, realClock, type SimClock, wireMs } from "./clock";
export { createEspSimulator, EspSimulator, type SimMode, type SimStats } from "./device";
export { type FirmwareImageOptions, makeFirmwareImage, makePartitionTable } from "./firmware";
export { type FlashTiming, NO_FLASH_TIMING, REALISTIC_FLASH_TIMING } from "./flash";
export { SimLink } from "./link";
export type { ConsoleScript, EspSimFaults, EspSimulatorOptions } from "./options";
export { type EspPtyServer, startEspPtyServer } from "./pty";
