import type { PrinterState, PrinterStatus } from "@factory/core";

/** printer-state-reasons keywords (RFC 8011 §5.4.12, PWG 5100.9) and the state each means. */
const REASONS: [RegExp, PrinterState][] = [
  [/^(media-empty|media-needed|input-tray-missing)$/, "paper-out"],
  [/^(cover-open|door-open|interlock-open)$/, "head-open"],
  [/^(marker-supply-empty|marker-supply-missing|toner-empty|ribbon-empty)$/, "ribbon-out"],
  [/^(paused|moving-to-paused)$/, "paused"],
  [/^(offline|shutdown|timed-out|connecting-to-device)$/, "offline"],
];

/**
 * The contract's status from Get-Printer-Attributes: printer-state (3 idle, 4 processing,
 * 5 stopped), printer-state-reasons (only `-error` and unsuffixed reasons stop printing;
 * `-warning` and `-report` do not) and printer-is-accepting-jobs.
 */
export function ippPrinterStatus(attrs: {
  state?: number;
  reasons?: readonly string[];
  accepting?: boolean;
  message?: string;
  queued?: number;
}): PrinterStatus {
  const reasons = (attrs.reasons ?? []).filter((r) => r !== "none");
  const faults = reasons.filter((r) => !/-(warning|report)$/.test(r)).map((r) => r.replace(/-error$/, ""));
  const queued = attrs.queued;
  const extra = queued === undefined ? {} : { queued };
  const detail = (what: string): string => [what, attrs.message].filter(Boolean).join(": ");
  for (const [pattern, state] of REASONS) {
    const hit = faults.find((r) => pattern.test(r));
    if (hit) return { state, detail: detail(reasons.join(", ")), ...extra };
  }
  // Reasons CUPS sets for itself, not for the device: they do not stop printing.
  const deviceFaults = faults.filter((r) => !/^(cups-|com\.apple\.)/.test(r));
  if (deviceFaults.length) return { state: "error", detail: detail(reasons.join(", ")), ...extra };
  if (attrs.state === 5) return { state: "paused", detail: detail("printer stopped"), ...extra };
  if (attrs.accepting === false) return { state: "error", detail: detail("not accepting jobs"), ...extra };
  if (attrs.state === 4)
    return { state: "busy", ...(reasons.length ? { detail: reasons.join(", ") } : {}), ...extra };
  return { state: "ready", ...extra };
}
