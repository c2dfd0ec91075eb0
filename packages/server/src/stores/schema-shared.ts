// What the SQLite and PostgreSQL schemas decide alike: the status values and which columns are
// indexed (under which names). The columns themselves stay in each dialect's schema, with its
// own types. Changing anything here changes both dialects' tables: run `pnpm db:generate`.

/** The values of `units.status`. */
export const UNIT_STATUSES = ["building", "ready", "failed", "stuck", "labeled"] as const;

/** The values of `board_records.status`. */
export const BOARD_RECORD_STATUSES = ["passed", "failed"] as const;

/** A dialect's `index(name)` builder, whose `.on(...)` gives that dialect's index. */
type IndexFn<C, R> = (name: string) => { on(...columns: [C, ...C[]]): R };

export function unitIndexes<C, R>(
  index: IndexFn<C, R>,
  t: { status: C; lastHeartbeat: C; updatedAt: C; buildTime: C },
): R[] {
  return [
    index("units_status_idx").on(t.status),
    index("units_last_heartbeat_idx").on(t.lastHeartbeat),
    index("units_updated_at_idx").on(t.updatedAt),
    index("units_build_time_idx").on(t.buildTime),
  ];
}

export function registrationIndexes<C, R>(index: IndexFn<C, R>, t: { batchId: C; stationId: C }): R[] {
  return [index("registrations_batch_idx").on(t.batchId), index("registrations_station_idx").on(t.stationId)];
}

export function debugLogIndexes<C, R>(index: IndexFn<C, R>, t: { mac: C }): R[] {
  return [index("debug_logs_mac_idx").on(t.mac)];
}

export function auditIndexes<C, R>(index: IndexFn<C, R>, t: { mac: C; at: C }): R[] {
  return [index("audit_mac_idx").on(t.mac), index("audit_at_idx").on(t.at)];
}

/** The listings' keyset orders and filters of `board_records`, each with the time as second key. */
export function boardRecordIndexes<C, R>(
  index: IndexFn<C, R>,
  t: { timestamp: C; recordId: C; stationId: C; batchId: C; mac: C; status: C },
): R[] {
  return [
    index("board_records_timestamp_idx").on(t.timestamp, t.recordId),
    index("board_records_station_idx").on(t.stationId, t.timestamp),
    index("board_records_batch_idx").on(t.batchId, t.timestamp),
    index("board_records_mac_idx").on(t.mac),
    index("board_records_status_idx").on(t.status, t.timestamp),
  ];
}

export function batchReportIndexes<C, R>(index: IndexFn<C, R>, t: { receivedAt: C; reportId: C }): R[] {
  return [index("board_batch_reports_received_idx").on(t.receivedAt, t.reportId)];
}
