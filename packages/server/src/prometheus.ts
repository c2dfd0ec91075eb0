import type { UnitStatus, UnitStore } from "@factory/core";

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STATUSES: UnitStatus[] = ["building", "ready", "failed", "stuck", "labeled"];

/** Request counters and latency histograms for the Prometheus text format. */
export class HttpStats {
  private readonly counts = new Map<string, number>();
  private readonly hist = new Map<string, { buckets: number[]; sum: number; count: number }>();
  stuckMarked = 0;

  observe(route: string, method: string, status: number, seconds: number): void {
    // Hot path (every request): the label strings are built once per route, method and status.
    const key = this.labels(route, method, status);
    this.counts.set(key.count, (this.counts.get(key.count) ?? 0) + 1);
    let h = this.hist.get(key.hist);
    if (!h) {
      h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.hist.set(key.hist, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.buckets[i]! += 1;
    h.sum += seconds;
    h.count += 1;
  }

  private readonly labelCache = new Map<string, { count: string; hist: string }>();
  private labels(route: string, method: string, status: number) {
    const id = `${method} ${status} ${route}`;
    let l = this.labelCache.get(id);
    if (!l) {
      l = {
        count: `method="${method}",route="${route}",status="${status}"`,
        hist: `method="${method}",route="${route}"`,
      };
      // Routes are the app's route patterns (or "unmatched"), so this stays small.
      if (this.labelCache.size < 10_000) this.labelCache.set(id, l);
    }
    return l;
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
