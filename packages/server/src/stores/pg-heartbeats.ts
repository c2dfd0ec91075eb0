import { abortedError, createError, ErrorCodes } from "@factory/core";
import type pg from "pg";
import { PKG } from "./shared";
import { type UnitRow, unitRowFromRaw } from "./unit-rows";

type Row = UnitRow<Date>;

/** pg already parsed the JSON columns of a `returning *` row. */
const asParsed = (v: unknown) => v;

export interface PgHeartbeat {
  /** Normalised MAC. */
  mac: string;
  stage: string | null;
  port: string | null;
  at: Date;
}

export interface PgHeartbeatWriter {
  /**
   * Queues a heartbeat; resolves with the unit's row once it is committed, or undefined when the
   * unit may not take heartbeats (it is not building or stuck). Rejects with `ABORTED` when
   * `signal` fired before the heartbeat was sent, `STORE_ERROR` when the database failed.
   */
  write(heartbeat: PgHeartbeat, signal?: AbortSignal): Promise<Row | undefined>;
  /** Resolves once every queued heartbeat is written. */
  drain(): Promise<void>;
}

// One statement for any number of heartbeats: the arrays are unnested into rows, so the text
// never changes and each connection prepares it once (a named statement).
const UPSERT = {
  name: "factory_heartbeats_v1",
  text: `insert into units as u (mac, status, stage, port, last_heartbeat, created_at, updated_at, label_prints)
    select h.mac, 'building', h.stage, h.port, h.at, $5, $5, 0
    from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) as h(mac, stage, port, at)
    on conflict (mac) do update set status = 'building', stage = coalesce(excluded.stage, u.stage),
      port = coalesce(excluded.port, u.port), last_heartbeat = excluded.last_heartbeat, updated_at = excluded.updated_at
    where u.status in ('building', 'stuck')
    returning *`,
};

interface Pending {
  hb: PgHeartbeat;
  signal: AbortSignal | undefined;
  resolve: (row: Row | undefined) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for PostgreSQL heartbeats: while one batch is being written, the heartbeats that
 * arrive queue up and go together in the next statement (one round trip and one commit for all
 * of them, instead of one each). One batch is in flight at a time, so heartbeats of one unit are
 * written in the order they arrived; a batch holding the same unit twice is written in rounds
 * (an upsert may touch a row only once).
 */
export function createPgHeartbeatWriter(o: {
  pool: pg.Pool;
  now: () => Date;
  /** Most heartbeats in one statement (default 1000). */
  maxBatch?: number;
}): PgHeartbeatWriter {
  const maxBatch = o.maxBatch ?? 1000;
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;

  const writeRound = async (round: Pending[]): Promise<Map<string, Row>> => {
    const t = o.now();
    const result = await o.pool.query({
      ...UPSERT,
      values: [
        round.map((p) => p.hb.mac),
        round.map((p) => p.hb.stage),
        round.map((p) => p.hb.port),
        round.map((p) => p.hb.at),
        t,
      ],
    });
    return new Map(
      result.rows.map((r: Record<string, unknown>) => [r.mac as string, unitRowFromRaw<Date>(r, asParsed)]),
    );
  };

  /** Splits a batch so that no round holds a unit twice, keeping each unit's order. */
  const rounds = (batch: Pending[]): Pending[][] => {
    const out: Pending[][] = [];
    const seen = new Map<string, number>();
    for (const p of batch) {
      const n = seen.get(p.hb.mac) ?? 0;
      seen.set(p.hb.mac, n + 1);
      const round = out[n] ?? [];
      round.push(p);
      out[n] = round;
    }
    return out;
  };

  const writeBatch = async (batch: Pending[]) => {
    for (const round of rounds(batch)) {
      try {
        const rows = await writeRound(round);
        for (const p of round) p.resolve(rows.get(p.hb.mac));
      } catch (cause) {
        const error = createError(PKG, ErrorCodes.STORE_ERROR, "Database error while recording heartbeats", {
          cause,
        });
        for (const p of round) p.reject(error);
      }
    }
  };

  const pump = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch).filter((p) => {
        if (!p.signal?.aborted) return true;
        p.reject(abortedError(p.signal, PKG));
        return false;
      });
      queue = queue.slice(maxBatch);
      if (batch.length > 0) await writeBatch(batch);
    }
    running = undefined;
  };

  return {
    write(hb, signal) {
      return new Promise((resolve, reject) => {
        queue.push({ hb, signal, resolve, reject });
        // The first heartbeat after a quiet time goes at once; later ones gather behind it.
        running ??= pump();
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}
