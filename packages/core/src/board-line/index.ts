export {
  type BoardLineReporter,
  type BoardLineReporterOptions,
  startBoardLineReporter,
} from "./board-line-reporter";
export {
  type BoardLinePortState,
  PortBoard,
  type PortView,
  type PortViewState,
  portViewToWire,
} from "./port-board";
