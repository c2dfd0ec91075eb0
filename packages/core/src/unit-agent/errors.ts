/** Codes the unit agent adds to the catalogue (stable once published). */
export const UnitAgentErrorCodes = {
  /** The report is stored on disk but the server did not take it before the deadline; deliver it later. */
  REPORT_NOT_DELIVERED: "REPORT_NOT_DELIVERED",
  /** The server refused the report for good (4xx other than auth and rate limits); it is kept for a person. */
  REPORT_REFUSED: "REPORT_REFUSED",
  /** A report was already made for this unit (pending or delivered); a unit reports once. */
  REPORT_EXISTS: "REPORT_EXISTS",
} as const;

export const PKG = "core";
