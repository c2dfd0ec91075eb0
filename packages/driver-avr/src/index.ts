import { driverFactory } from "./driver/driver";

export type { AvrBoard } from "./boards";
export { AVR_BOARDS, bootStart, UNSUPPORTED_BOARDS } from "./boards";
export { AVR_CAPABILITIES, createAvrDriver, driverFactory } from "./driver/driver";
export { decodeSerial } from "./driver/identity";
export { isIntelHex, toBinaryRegion } from "./driver/image";
export type { AvrDriverOptions, SerialNumberRegion } from "./driver/options";
export type { AvrSession } from "./driver/session";
export { AvrErrorCodes, PKG } from "./errors";
export { Stk500Client } from "./protocol/client";
export { encode as stk500Encode, Stk } from "./protocol/stk500";

export default driverFactory;
