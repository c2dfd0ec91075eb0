export { type Connector, tcpConnector } from "./connect";
export { createLineDriver, LINE_CAPABILITIES, type LineDriverOptions } from "./driver";
export { LineErrorCodes } from "./errors";
export { lineDriverFactory as default, lineDriverFactory } from "./factory";
export { BLOCK_SIZE, Command, FAMILY, READY_LINE } from "./protocol";
