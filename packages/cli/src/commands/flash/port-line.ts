import type { PortView } from "@factory/core";

/** `1.5 MB`, `512 KB`, `100 B`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} B`;
}

/** One fixed-width line of the live TTY view: station, port, chip, MAC, then step and bytes or the result. */
export function formatPortLine(v: PortView, width = 120): string {
  const cols = [
    v.station.padEnd(10),
    v.port.padEnd(16),
    (v.chip ?? "-").padEnd(14),
    (v.mac ?? "-").padEnd(17),
  ];
  let status: string;
  if (v.state === "busy") {
    const step = (v.step ?? "start").padEnd(8);
    const bytes =
      v.bytesTotal !== undefined && v.bytesDone !== undefined
        ? `${formatBytes(v.bytesDone)}/${formatBytes(v.bytesTotal)} ${Math.round((v.bytesDone / Math.max(1, v.bytesTotal)) * 100)}%`
        : "";
    const speed = v.bytesPerSecond ? ` ${formatBytes(v.bytesPerSecond)}/s` : "";
    status = `${step} ${bytes}${speed}${v.attempt && v.attempt > 1 ? ` (attempt ${v.attempt})` : ""}`;
  } else if (v.state === "failed" || v.state === "aborted") {
    status = `${v.state.toUpperCase()} ${v.error ?? ""}`;
  } else {
    status = v.state.toUpperCase();
  }
  return `${cols.join(" ")} ${status}`.slice(0, Math.max(20, width - 1));
}
