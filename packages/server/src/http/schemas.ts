import { type BatchSummary, tryNormalizeMac } from "@factory/core";
import { z } from "zod";

/** Request bodies of the seed 002 and seed 000 APIs (snake_case, as the unit agents send them). */
const mac = z
  .string()
  .max(32)
  .refine((v) => tryNormalizeMac(v) !== undefined, { message: "not a MAC address (aa:bb:cc:dd:ee:ff)" })
  .describe("MAC address in any usual spelling; stored as aa:bb:cc:dd:ee:ff");
const datetime = z.iso.datetime({ offset: true }).describe("ISO 8601 date-time");
const shortText = z.string().min(1).max(128);
const testResults = z
  .record(z.string().max(64), z.string().max(256))
  .refine((r) => Object.keys(r).length <= 100, {
    message: "at most 100 test results",
  });

export const heartbeatBody = z.object({
  mac_wan: mac,
  status: z.literal("building"),
  stage: shortText.optional(),
  port: z.union([shortText, z.number().int().min(0).max(100000)]).optional(),
  timestamp: datetime,
});

const common = {
  mac_wan: mac,
  build_time: datetime.optional(),
  build_duration_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .optional(),
  test_results: testResults.optional(),
};

export const readyReportBody = z.object({
  ...common,
  status: z.literal("ready"),
  serial: z.string().min(1).max(64),
  admin_password: z.string().min(1).max(128),
  services_password: z.string().min(1).max(128),
});

export const failedReportBody = z.object({
  ...common,
  status: z.literal("failed"),
  serial: z.string().min(1).max(64).optional(),
  error_log: z.string().max(1_000_000).optional(),
  failed_tests: z.array(z.string().min(1).max(64)).max(100).optional(),
  diagnostic_data: z.string().max(4_000_000).optional(),
});

export const reportBody = z.discriminatedUnion("status", [readyReportBody, failedReportBody]);

export const debugLogBody = z.object({
  mac_wan: mac,
  collected_at: datetime.optional(),
  logs: z
    .record(z.string().min(1).max(256), z.string().max(4_000_000))
    .refine((r) => Object.keys(r).length > 0, {
      message: "at least one log",
    }),
});

export const registrationBody = z.object({
  device_id: z.string().min(1).max(128),
  unique_id: z.string().min(1).max(128),
  mac: mac.optional(),
  board_type: z.string().min(1).max(64),
  station_id: z.string().min(1).max(64).optional(),
  batch_id: z.string().min(1).max(64).optional(),
  firmware_version: z.string().min(1).max(64).optional(),
  device_secret: z.string().min(1).max(512).optional(),
  provisioning_token: z.string().min(1).max(512).optional(),
});

export const batchBody = z.object({
  batch_id: z.string().min(1).max(64),
  station_id: z.string().min(1).max(64).optional(),
  started_at: datetime,
  finished_at: datetime.optional(),
  total: z.number().int().min(0),
  passed: z.number().int().min(0),
  failed: z.number().int().min(0),
});

/** A station batch as the API spells it (`batchBody`, and the board line's batch reports). */
export interface WireBatch {
  batch_id: string;
  station_id?: string | undefined;
  started_at: string;
  finished_at?: string | undefined;
  total: number;
  passed: number;
  failed: number;
}

/** The store's batch summary of a batch sent over the API. */
export function toBatchSummary(b: WireBatch): BatchSummary {
  return {
    batchId: b.batch_id,
    ...(b.station_id !== undefined && { stationId: b.station_id }),
    startedAt: new Date(b.started_at),
    ...(b.finished_at !== undefined && { finishedAt: new Date(b.finished_at) }),
    total: b.total,
    passed: b.passed,
    failed: b.failed,
  };
}

export const bulkBody = z.object({
  batch: batchBody.optional(),
  devices: z.array(registrationBody).min(1).max(1000),
});

export const unitStatus = z.enum(["building", "ready", "failed", "stuck", "labeled"]);
