import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type SignalOptions, withDeadline } from "../abort";
import type { DeviceRecord, RecordSink } from "../contracts/records";
import type { BatchResult } from "../contracts/station";
import { createError, ErrorCodes, type FactoryError, toFactoryError } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { DurableQueue } from "../registration/durable-queue";
import type { BatchReport } from "./batch-report";
import { CSV_RECORD_COLUMNS, recordToCells } from "./columns";

export interface ServerRecordsOptions {
  /** Base URL of the production server. */
  url: string;
  /** Bearer token of a `station` role. Never logged. */
  token?: string;
  /**
   * File of records and reports waiting for the server (JSON lines, mode 0600). A send that fails
   * because the server is down or slow is queued here and delivered by `flush()`.
   */
  queueFile: string;
  /** Per-request time bound, ms. Default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
}

/** The board line's records in the server: a {@link RecordSink} plus batch reports and a queue. */
export interface ServerRecords extends RecordSink {
  /**
   * Sends a device's record (its CSV row's cells, which never hold secrets). Resolves once the
   * server has it or it is queued; never rejects for the server's sake (the CSV is the record of
   * truth on the station), so a device never fails because the server is down.
   */
  write(record: DeviceRecord, options?: SignalOptions): Promise<void>;
  /** Sends a batch report and the station batches it covers; queued like records. */
  sendBatchReport(
    report: BatchReport,
    batches: readonly BatchResult[],
    options?: SignalOptions,
  ): Promise<{ queued: boolean }>;
  /** Delivers what is queued, oldest first; stops at the first failure that is worth retrying. */
  flush(options?: SignalOptions): Promise<{ delivered: number; pending: number }>;
  /** Entries waiting in the queue. */
  pending(): number;
}

/** One queued send: the HTTP method, path and JSON body (no secrets: CSV cells and report stats). */
interface Outgoing {
  method: "POST" | "PUT";
  path: string;
  body: unknown;
}

/**
 * Sends each device record (`POST /api/board-line/records`) and each batch report
 * (`PUT /api/board-line/reports/:id`) to the production server. Both are idempotent on the
 * server (a record is identified by a hash of its cells, a report by its batch ids), so a resend
 * after a lost answer or a replayed queue never stores anything twice.
 *
 * @example
 * const records = createServerRecords({ url, token, queueFile: "out/server-records-queue.jsonl" });
 * await records.flush(); // what an earlier run could not deliver
 */
export function createServerRecords(options: ServerRecordsOptions): ServerRecords {
  const doFetch = options.fetch ?? fetch;
  const log = options.logger ?? noopLogger;
  mkdirSync(path.dirname(options.queueFile), { recursive: true });
  const queue = new DurableQueue<Outgoing>(options.queueFile);

  const send = (out: Outgoing, signal?: AbortSignal): Promise<void> =>
    withDeadline(
      `Sending ${out.path} to the server`,
      { signal, timeoutMs: options.timeoutMs ?? 10_000 },
      async (s) => {
        let response: Response;
        try {
          response = await doFetch(new URL(out.path, options.url), {
            method: out.method,
            signal: s,
            headers: {
              "content-type": "application/json",
              ...(options.token && { authorization: `Bearer ${options.token}` }),
            },
            body: JSON.stringify(out.body),
          });
        } catch (cause) {
          if (s.aborted) throw cause;
          throw createError("core", ErrorCodes.RECORD_FAILED, `The server at ${options.url} is unreachable`, {
            cause,
            retryable: true,
          });
        }
        const text = await response.text().catch(() => "");
        if (response.ok) return;
        const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
        throw createError(
          "core",
          retryable ? ErrorCodes.RECORD_FAILED : ErrorCodes.INVALID_ARGUMENT,
          `The server answered ${response.status} to ${out.method} ${out.path}: ${text.slice(0, 200)}`,
          { details: { status: response.status }, retryable },
        );
      },
    );

  /** Sends now; queues when the server is unreachable, slow, busy, or the run is being stopped. */
  const deliver = async (out: Outgoing, signal?: AbortSignal): Promise<{ queued: boolean }> => {
    try {
      await send(out, signal);
      return { queued: false };
    } catch (error) {
      const coded = toFactoryError(error);
      if (!worthRetrying(coded)) {
        log.error("The server refused a board-line record; it stays in the CSV only", {
          path: out.path,
          error: coded.message,
        });
        return { queued: false };
      }
      queue.append(out);
      log.warn("Board-line record queued: the server is unavailable", { path: out.path, code: coded.code });
      return { queued: true };
    }
  };

  return {
    async write(record, opts) {
      await deliver(
        { method: "POST", path: "/api/board-line/records", body: recordToWire(record) },
        opts?.signal,
      );
    },
    sendBatchReport(report, batches, opts) {
      const id = report.batchIds.join("+");
      return deliver(
        {
          method: "PUT",
          path: `/api/board-line/reports/${encodeURIComponent(id)}`,
          body: { report, batches: batches.map(batchToWire) },
        },
        opts?.signal,
      );
    },
    flush(opts) {
      return queue.drain(
        (out) => send(out, opts?.signal),
        (out, error) => {
          const coded = toFactoryError(error);
          if (worthRetrying(coded)) return false;
          log.error("Queued board-line record refused by the server; dropped", {
            path: out.path,
            error: coded.message,
          });
          return true;
        },
      );
    },
    pending: () => queue.size,
  };
}

function worthRetrying(error: FactoryError): boolean {
  return (
    error.code === ErrorCodes.RECORD_FAILED ||
    error.code === ErrorCodes.TIMEOUT ||
    error.code === ErrorCodes.ABORTED
  );
}

/**
 * A record as the server takes it: the CSV row's cells by column name, and `record_id`, a hash of
 * those cells (the same record always has the same id, so the server absorbs a resend).
 */
export function recordToWire(record: DeviceRecord): Record<string, string> {
  const cells = recordToCells(record);
  const wire: Record<string, string> = {
    record_id: createHash("sha256").update(JSON.stringify(cells)).digest("hex").slice(0, 32),
  };
  CSV_RECORD_COLUMNS.forEach((column, i) => {
    wire[column] = cells[i] ?? "";
  });
  return wire;
}

function batchToWire(b: BatchResult) {
  return {
    batch_id: b.batchId,
    station_id: b.stationId,
    started_at: b.startedAt.toISOString(),
    finished_at: b.finishedAt.toISOString(),
    total: b.results.length,
    passed: b.passed,
    failed: b.failed,
  };
}
