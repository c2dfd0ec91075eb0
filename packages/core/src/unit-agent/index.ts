export { type BackoffOptions, backoffDelayMs } from "./backoff";
export { collectDiagnostics, type DiagnosticsOptions, tailFile } from "./diagnostics";
export { UnitAgentErrorCodes } from "./errors";
export { ReportStore, type StoredReport } from "./pending-report";
export {
  createUnitReporter,
  type FailureReport,
  type ReportReceipt,
  retryableStatus,
  type SuccessReport,
  type UnitReporter,
  type UnitReporterOptions,
} from "./reporter";
export {
  parseSelfTest,
  runSelfTests,
  type SelfTest,
  type SelfTestOptions,
  type SelfTestResult,
  statusMatches,
} from "./self-tests";
export {
  type BuildPlan,
  createUnitAgent,
  type HeartbeatLoop,
  type UnitAgent,
  type UnitAgentOptions,
  type UnitBuildCredentials,
} from "./unit-agent";
