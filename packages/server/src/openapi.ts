import { z } from "zod";
import { reportBody as batchReportBody, recordBody as boardRecordBody } from "./board-line/records";
import { stationBody as boardStationBody } from "./board-line/routes";
import { bulkBody, debugLogBody, heartbeatBody, registrationBody, reportBody } from "./http/schemas";

const json = (schema: z.ZodType) => ({
  "application/json": { schema: z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) },
});
const error = { description: "JSON error `{ error: { code, message, details? } }`" };
const errors = { "400": error, "401": error, "403": error, "413": error, "415": error, "429": error };
const bearer = [{ bearer: [] }];
const pathParam = (name: string, description: string, pattern?: string) => ({
  name,
  in: "path",
  required: true,
  schema: { type: "string", ...(pattern && { pattern }) },
  description,
});
const reportIdParam = [pathParam("report_id", "The report's batch ids joined with `+`", "^[\\w.+-]{1,400}$")];
const limitParam = (max: number, fallback: number) => ({
  name: "limit",
  in: "query",
  schema: { type: "integer", minimum: 1, maximum: max, default: fallback },
  description: `Page size (larger values are cut to ${max})`,
});
const cursorParam = {
  name: "cursor",
  in: "query",
  schema: { type: "string" },
  description: "`next_cursor` of the previous page (absent on the last page)",
};
const query = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
  name,
  in: "query",
  schema,
  description,
});
const macParam = [
  {
    name: "mac",
    in: "path",
    required: true,
    schema: { type: "string" },
    description: "WAN MAC, any usual spelling",
  },
];

/** The OpenAPI 3.1 document served at `/api/openapi.json`. */
export function openApiDocument(version: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "@factory/server API",
      version,
      description:
        "Appliance line (heartbeats, reports, labeling, debug logs) and board line (device registrations, batches). Roles: unit, station, operator, admin.",
    },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: bearer,
    paths: {
      "/api/heartbeat": {
        post: {
          summary: "Build progress from a unit (role unit)",
          requestBody: { required: true, content: json(heartbeatBody) },
          responses: { "200": { description: "Recorded" }, "409": error, ...errors },
        },
      },
      "/api/units": {
        post: {
          summary:
            "Final success or failure report (role unit). Idempotent: an identical retry answers 200 created=false; send Idempotency-Key to detect key reuse.",
          parameters: [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              schema: { type: "string", maxLength: 128 },
            },
          ],
          requestBody: { required: true, content: json(reportBody) },
          responses: {
            "201": { description: "Created" },
            "200": { description: "Identical retry absorbed" },
            "409": error,
            ...errors,
          },
        },
        get: {
          summary: "List units (operator, station, admin)",
          parameters: [
            {
              name: "status",
              in: "query",
              schema: { type: "string" },
              description: "building, ready, failed, stuck, labeled (comma-separated)",
            },
            { name: "since", in: "query", schema: { type: "string", format: "date-time" } },
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 10000 } },
          ],
          responses: { "200": { description: "Units, newest first" }, ...errors },
        },
      },
      "/api/units/{mac}": {
        parameters: macParam,
        get: {
          summary: "One unit; the station role also gets the passwords (audited)",
          responses: { "200": { description: "Unit" }, "404": error, ...errors },
        },
        delete: {
          summary:
            "Station: destroy the credentials after labeling (unit becomes labeled). Operator/admin: remove the record.",
          responses: { "204": { description: "Deleted" }, "404": error, ...errors },
        },
      },
      "/api/units/{mac}/label-prints": {
        parameters: macParam,
        post: {
          summary: "Count a printed label (station); the second and later are reprints",
          responses: { "200": { description: "Unit" }, "404": error, "409": error, ...errors },
        },
      },
      "/api/units/{mac}/debug-logs": {
        parameters: macParam,
        get: { summary: "Debug logs of a unit", responses: { "200": { description: "Logs" }, ...errors } },
      },
      "/api/debug-logs": {
        post: {
          summary: "Logs collected by the debug station",
          requestBody: { required: true, content: json(debugLogBody) },
          responses: { "201": { description: "Saved" }, "404": error, ...errors },
        },
      },
      "/api/admin/device-registrations": {
        post: {
          summary: "Register a board-line device (station, admin); idempotent by device_id",
          requestBody: { required: true, content: json(registrationBody) },
          responses: {
            "201": { description: "Created" },
            "200": { description: "Already registered" },
            "409": error,
            ...errors,
          },
        },
        get: {
          summary: "List registrations without secrets",
          responses: { "200": { description: "Registrations" }, ...errors },
        },
      },
      "/api/admin/provisioning/batches": {
        get: {
          summary: "Batches, newest first",
          responses: { "200": { description: "Batches" }, ...errors },
        },
      },
      "/api/admin/provisioning/bulk": {
        post: {
          summary: "Register many devices at once (all or nothing) and record their batch",
          requestBody: { required: true, content: json(bulkBody) },
          responses: {
            "201": { description: "Created" },
            "200": { description: "All existed" },
            "409": error,
            ...errors,
          },
        },
      },
      "/api/board-line/stations/{station}": {
        parameters: [pathParam("station", "Station id: 1-64 letters, digits, . _ -", "^[\\w.-]{1,64}$")],
        put: {
          summary:
            "Live port states of a flashing station (station, admin), sent by `factory flash` about once a second; kept in this instance's memory only",
          requestBody: { required: true, content: json(boardStationBody) },
          responses: { "200": { description: "`{ station_id, ports }` (number of ports)" }, ...errors },
        },
      },
      "/api/board-line": {
        get: {
          summary: "Live stations and their ports (operator, station, admin)",
          responses: {
            "200": { description: "`{ stations: [{ station_id, updated_at, ports }] }`" },
            ...errors,
          },
        },
      },
      "/api/board-line/events": {
        get: {
          summary:
            "Server-sent `board-line` events carrying every station, on each station update and each new device record or batch report",
          responses: { "200": { description: "text/event-stream" }, ...errors },
        },
      },
      "/api/board-line/records": {
        post: {
          summary:
            "One device record, the cells of its row in the daily CSV (station, admin). Idempotent by record_id at any distance in time: a resend answers 200 created=false",
          requestBody: { required: true, content: json(boardRecordBody) },
          responses: {
            "201": { description: "`{ record_id, created: true }`" },
            "200": { description: "Already stored: `{ record_id, created: false }`" },
            "501": error,
            ...errors,
          },
        },
        get: {
          summary:
            "Device records matching every filter, newest timestamp first, in pages (operator, station, admin)",
          parameters: [
            query("station", "Station id (alias station_id)"),
            query("batch", "Batch id (alias batch_id)"),
            query("status", "Record status", { type: "string", enum: ["passed", "failed"] }),
            query("mac", "MAC, any usual spelling"),
            query("since", "Only records with timestamp at or after this", {
              type: "string",
              format: "date-time",
            }),
            limitParam(1000, 100),
            cursorParam,
          ],
          responses: {
            "200": { description: "`{ records: [cells], next_cursor? }`" },
            "501": error,
            ...errors,
          },
        },
      },
      "/api/board-line/records/{record_id}": {
        parameters: [pathParam("record_id", "The record's hash, 32 hex digits", "^[0-9a-f]{32}$")],
        get: {
          summary: "One device record with who sent it and when it arrived",
          responses: {
            "200": { description: "`{ record, sent_by, received_at }`" },
            "404": error,
            "501": error,
            ...errors,
          },
        },
      },
      "/api/board-line/reports": {
        get: {
          summary:
            "Batch report summaries, most recently received first, in pages (operator, station, admin)",
          parameters: [limitParam(200, 20), cursorParam],
          responses: {
            "200": {
              description:
                "`{ reports: [{ report_id, generated_at, batch_ids, aborted, totals }], next_cursor? }`",
            },
            "501": error,
            ...errors,
          },
        },
      },
      "/api/board-line/reports/{report_id}": {
        parameters: reportIdParam,
        put: {
          summary:
            "A batch report and the station batches it covers (station, admin); the batches also go to the provisioning batches. Idempotent: an identical resend answers 200 created=false, a changed document replaces the stored one (200 replaced=true)",
          requestBody: { required: true, content: json(batchReportBody) },
          responses: {
            "201": { description: "`{ report_id, created: true }`" },
            "200": { description: "`{ report_id, created: false, replaced? }`" },
            "501": error,
            ...errors,
          },
        },
        get: {
          summary: "One batch report, the document as sent",
          responses: {
            "200": { description: "`{ report_id, report }`" },
            "404": error,
            "501": error,
            ...errors,
          },
        },
      },
      "/api/metrics": {
        get: {
          summary: "Quality metrics: success rate by day, average build duration, failed tests, reprints",
          responses: { "200": { description: "Metrics" }, ...errors },
        },
      },
      "/api/audit": {
        get: { summary: "Audit log (admin)", responses: { "200": { description: "Events" }, ...errors } },
      },
      "/api/dashboard": {
        get: {
          summary: "Dashboard snapshot (operator)",
          responses: { "200": { description: "Snapshot" }, ...errors },
        },
      },
      "/api/events": {
        get: {
          summary: "Server-sent events: unit changes, stuck units",
          responses: { "200": { description: "text/event-stream" }, ...errors },
        },
      },
      "/cdn/{path}": {
        get: {
          security: [],
          summary: "Offline assets with Range, ETag/If-None-Match",
          responses: {
            "200": { description: "File" },
            "206": { description: "Range" },
            "304": { description: "Not modified" },
            "416": { description: "Bad range" },
          },
        },
      },
      "/cdn/manifest.json": {
        get: {
          security: [],
          summary: "Every asset with size and sha256",
          responses: { "200": { description: "Manifest" } },
        },
      },
      "/metrics": {
        get: {
          security: [],
          summary: "Prometheus metrics",
          responses: { "200": { description: "text/plain" } },
        },
      },
      "/api/openapi.json": {
        get: { security: [], summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } },
      },
      "/healthz": { get: { security: [], summary: "Liveness", responses: { "200": { description: "ok" } } } },
    },
  };
}
