import type { UnitStatus, UnitStore } from "@factory/core";

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STATUSES: UnitStatus[] = ["building", "ready", "failed", "stuck", "labeled"];

/** Request counters and latency histograms for the Prometheus text format. */
export class HttpStats {
  private readonly counts = new Map<string, number>();
  private readonly hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  stuckMarked = 0;

  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${route}",status="${status}"`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const hk = `method="${method}",route="${route}"`;
    const h = this.hist.get(hk) ?? { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
    for (const [i, b] of BUCKETS.entries()) if (seconds <= b) h.buckets[i]! += 1;
    h.sum += seconds;
    h.count += 1;
    this.hist.set(hk, h);
  }

  async render(store: UnitStore, signal: AbortSignal): Promise<string> {
    const lines: string[] = [];
    lines.push("# HELP factory_http_requests_total HTTP requests by route and status.");
    lines.push("# TYPE factory_http_requests_total counter");
    for (const [k, v] of this.counts) lines.push(`factory_http_requests_total{${k}} ${v}`);
    lines.push("# HELP factory_http_request_duration_seconds HTTP request latency.");
    lines.push("# TYPE factory_http_request_duration_seconds histogram");
    for (const [k, h] of this.hist) {
      for (const [i, b] of BUCKETS.entries()) {
        lines.push(`factory_http_request_duration_seconds_bucket{${k},le="${b}"} ${h.buckets[i]}`);
      }
      lines.push(`factory_http_request_duration_seconds_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(`factory_http_request_duration_seconds_sum{${k}} ${h.sum}`);
      lines.push(`factory_http_request_duration_seconds_count{${k}} ${h.count}`);
    }
    const units = await store.listUnits({}, { signal });
    lines.push("# HELP factory_units Units by status (stuck > 0 means a build needs an operator).");
    lines.push("# TYPE factory_units gauge");
    for (const s of STATUSES)
      lines.push(`factory_units{status="${s}"} ${units.filter((u) => u.status === s).length}`);
    lines.push("# HELP factory_units_marked_stuck_total Units this instance marked stuck.");
    lines.push("# TYPE factory_units_marked_stuck_total counter");
    lines.push(`factory_units_marked_stuck_total ${this.stuckMarked}`);
    return `${lines.join("\n")}\n`;
  }
}
