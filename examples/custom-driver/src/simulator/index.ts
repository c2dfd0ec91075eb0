export { createLineBench, type LineBench } from "./bench";
export { type LineBoardOptions, LineBoardSimulator } from "./device";
export { createDuplexPair } from "./duplex-pair";
