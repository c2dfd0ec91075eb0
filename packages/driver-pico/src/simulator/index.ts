/**
 * @factory/driver-pico/simulator: simulated RP2040 / RP2350 boards for tests and demos. A
 * {@link PicoLab} lays boards out as Linux shows them (sysfs, BOOTSEL drive folders, CDC serial
 * ports) and serves a `picotool` test double whose output and exit codes are picotool 2.3.0's.
 */
export { SimPicoAppPort } from "./app-port";
export { SimPico, type SimPicoMode, type SimPicoOptions } from "./device";
export { FakeBootselDrive } from "./fake-drive";
export { PAGE_SIZE, SECTOR_SIZE, SimFlash } from "./flash";
export { createPicoLab, type LabDriverOptions, PicoLab, type PicoLabOptions } from "./lab";
export { type DoubleHost, type DoubleIo, runDoubleCommand } from "./picotool-double/commands";
export { type PicotoolDouble, startPicotoolDouble } from "./picotool-double/server";
