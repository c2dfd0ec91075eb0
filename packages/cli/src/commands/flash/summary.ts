import { type BatchResult, describePort } from "@factory/core";

/** The final table: one row per finished device, then the totals. */
export function formatSummary(batches: readonly BatchResult[], testMode: boolean): string {
  const rows: string[][] = [["STATION", "PORT", "STATUS", "CHIP", "MAC", "DEVICE", "TIME", "TRIES", "ERROR"]];
  for (const batch of batches) {
    for (const r of batch.results) {
      rows.push([
        batch.stationId,
        describePort(r.port),
        testMode && r.status === "passed" ? "identified" : r.status,
        r.identity?.chip ?? "-",
        r.identity?.mac ?? "-",
        r.deviceId ?? "-",
        `${((r.finishedAt.getTime() - r.startedAt.getTime()) / 1000).toFixed(1)}s`,
        String(r.attempts),
        r.error ? `${r.error.code} at ${r.error.step ?? "?"}: ${r.error.message}` : "",
      ]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
  const passed = batches.reduce((n, b) => n + b.passed, 0);
  const failed = batches.reduce((n, b) => n + b.failed, 0);
  const total = batches.reduce((n, b) => n + b.results.length, 0);
  const stopped = batches.some((b) => b.aborted) ? " (stopped before the end)" : "";
  lines.push(
    "",
    `${total} device${total === 1 ? "" : "s"}: ${passed} ${testMode ? "identified" : "passed"}, ${failed} failed, ${total - passed - failed} aborted${stopped}`,
  );
  return `${lines.join("\n")}\n`;
}
