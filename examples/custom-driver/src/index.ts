export { type Connector, tcpConnector } from "./connect";
export { createLineDriver, LINE_CAPABILITIES } from "./driver";
export { LineErrorCodes } from "./errors";
export { lineDriverFactory as default, lineDriverFactory } from "./factory";
export type { LineDriverOptions } from "./options";
export { BLOCK_SIZE, Command, FAMILY, READY_LINE } from "./protocol";
