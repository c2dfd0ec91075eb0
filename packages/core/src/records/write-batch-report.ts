import { type TimeoutOptions, withDeadline } from "../abort";
import type { BatchResult } from "../contracts/station";
import { createError, ErrorCodes, isFactoryError } from "../errors";
import { writeNewFileAtomic } from "./atomic-file";
import { type BatchReport, buildBatchReport } from "./batch-report";
import { localDateStamp, localTimeStamp } from "./local-time";

/** Options of {@link writeBatchReport}. */
export interface WriteBatchReportOptions extends TimeoutOptions {
  /** Time the report is generated (its `generatedAt`). Default now. */
  now?: Date;
}

/** The report file name for a batch that finished at `date` (local time). */
export function batchReportFileName(date: Date, part = 1): string {
  return `batch_report_${localDateStamp(date)}_${localTimeStamp(date)}${part > 1 ? `_${part}` : ""}.json`;
}

/**
 * Writes `dir/batch_report_YYYYMMDD_HHMMSS.json` (named after the batch's finish time, `_2`,
 * `_3`… if that name is taken) with the statistics of {@link buildBatchReport}. The file appears
 * complete or not at all: written under a temporary name, fsynced, linked into place, folder
 * fsynced. Rejects with `INVALID_ARGUMENT` for a malformed batch (nothing written), `RECORD_FAILED`
 * when the disk refuses, `ABORTED`/`TIMEOUT` from the options (default 30 s).
 *
 * @example
 * const { file, report } = await writeBatchReport("/var/lib/factory/reports", await station.runBatch());
 */
export async function writeBatchReport(
  dir: string,
  batch: BatchResult | readonly BatchResult[],
  options: WriteBatchReportOptions = {},
): Promise<{ file: string; report: BatchReport }> {
  if (typeof dir !== "string" || dir.length === 0) {
    throw createError("core", ErrorCodes.INVALID_ARGUMENT, "writeBatchReport needs a folder");
  }
  const report = buildBatchReport(batch, options.now ? { now: options.now } : {});
  const finishedAt = new Date(report.finishedAt);
  const data = Buffer.from(`${JSON.stringify(report, null, 2)}\n`);
  function* names(): Generator<string> {
    for (let part = 1; part <= 1000; part++) yield batchReportFileName(finishedAt, part);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    const file = await withDeadline(
      "Writing the batch report",
      { signal: options.signal, timeoutMs },
      (signal) => writeNewFileAtomic(dir, names(), data, { signal }),
    );
    return { file, report };
  } catch (e) {
    if (isFactoryError(e)) throw e;
    throw createError("core", ErrorCodes.RECORD_FAILED, `Could not write the batch report in ${dir}`, {
      cause: e,
      details: { dir },
    });
  }
}
