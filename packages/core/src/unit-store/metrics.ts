import type { Metrics } from "../contracts/unit-store";

/** What {@link computeMetrics} reads of a unit whose build time lies in the asked range. */
export interface MetricRow {
  status: string;
  buildTime: Date;
  buildDurationSeconds?: number | null;
  failedTests?: readonly string[] | null;
  /** Labels printed (the first one is not a reprint). */
  labelPrints: number;
}

/**
 * The seed's quality metrics ({@link Metrics}) from the units built in a range: success rate by
 * day of build (UTC, newest day first; `ready` and `labeled` count as success, `failed` as
 * failure, other statuses not at all), the successes' mean build duration, failed tests by count
 * (ties by name), and reprints. Every unit store reduces its rows with this one function.
 */
export function computeMetrics(rows: Iterable<MetricRow>): Metrics {
  const days = new Map<string, { success: number; failed: number }>();
  let durationSum = 0;
  let durationCount = 0;
  const failedTests = new Map<string, number>();
  let reprints = 0;
  for (const u of rows) {
    const ok = u.status === "ready" || u.status === "labeled";
    if (!ok && u.status !== "failed") continue;
    const day = u.buildTime.toISOString().slice(0, 10);
    const d = days.get(day) ?? { success: 0, failed: 0 };
    if (ok) d.success += 1;
    else d.failed += 1;
    days.set(day, d);
    if (ok && u.buildDurationSeconds != null) {
      durationSum += u.buildDurationSeconds;
      durationCount += 1;
    }
    for (const t of u.failedTests ?? []) failedTests.set(t, (failedTests.get(t) ?? 0) + 1);
    reprints += Math.max(0, u.labelPrints - 1);
  }
  return {
    successRateByDay: [...days.entries()]
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([date, d]) => ({
        date,
        ...d,
        successRate: Math.round((10000 * d.success) / (d.success + d.failed)) / 100,
      })),
    averageBuildDurationSeconds: durationCount === 0 ? null : durationSum / durationCount,
    commonFailedTests: [...failedTests.entries()]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([test, count]) => ({ test, count })),
    reprints,
  };
}
