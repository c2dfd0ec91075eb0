import { mkdirSync } from "node:fs";
import path from "node:path";
import { type SignalOptions, withDeadline } from "../abort";
import type { Registrar, RegistrationReceipt, RegistrationRequest } from "../contracts/records";
import { createError, ErrorCodes, type FactoryError, isFactoryError, toFactoryError } from "../errors";
import { type Logger, noopLogger } from "../logger";
import { DurableQueue } from "./durable-queue";

export interface HttpRegistrarOptions {
  /** Base URL of the production server or the integrator's provisioning service. */
  url: string;
  /** Bearer token of a `station` role. Never logged. */
  token?: string;
  /** Path of the registrations API. Default `/api/admin/device-registrations` (seed 000). */
  endpoint?: string;
  /** Per-request time bound, ms. Default 10 s. */
  timeoutMs?: number;
  /**
   * File of registrations waiting for the service. With it, a registration made while the service
   * is down is queued (and reported `queued: true`) instead of failing the device; `flush()`
   * delivers the queue later. Created mode 0600; entries are removed once delivered.
   */
  queueFile?: string;
  fetch?: typeof fetch;
  logger?: Logger;
}

/** A registrar that talks HTTP; `flush` delivers registrations queued while the service was down. */
export interface HttpRegistrar extends Registrar {
  /** Delivers queued registrations, oldest first; resolves how many were delivered and are left. */
  flush(options?: SignalOptions): Promise<{ delivered: number; pending: number }>;
  /** Registrations waiting in the queue. */
  pending(): number;
}

/**
 * Registers passing devices with the seed's `POST /api/admin/device-registrations`. Idempotent
 * by device ID on the server, so a retried or replayed registration never makes two records.
 *
 * Errors: `REGISTRATION_FAILED` (retryable: network, timeouts, 5xx, 429), `CONFLICT` (409: the
 * device ID is registered with other data), `INVALID_ARGUMENT` (other 4xx: fix the request).
 */
export function createHttpRegistrar(options: HttpRegistrarOptions): HttpRegistrar {
  const endpoint = new URL(options.endpoint ?? "/api/admin/device-registrations", options.url).href;
  const doFetch = options.fetch ?? fetch;
  const log = options.logger ?? noopLogger;
  const queue = options.queueFile ? new DurableQueue<RegistrationRequest>(options.queueFile) : undefined;
  if (options.queueFile) mkdirSync(path.dirname(options.queueFile), { recursive: true });

  const send = (request: RegistrationRequest, signal?: AbortSignal): Promise<RegistrationReceipt> =>
    withDeadline(
      `Registering ${request.deviceId}`,
      { signal, timeoutMs: options.timeoutMs ?? 10_000 },
      async (s) => {
        let response: Response;
        try {
          response = await doFetch(endpoint, {
            method: "POST",
            signal: s,
            headers: {
              "content-type": "application/json",
              ...(options.token && { authorization: `Bearer ${options.token}` }),
            },
            body: JSON.stringify(toWire(request)),
          });
        } catch (cause) {
          if (s.aborted) throw cause;
          throw createError(
            "core",
            ErrorCodes.REGISTRATION_FAILED,
            `The registration service at ${options.url} is unreachable`,
            {
              cause,
              retryable: true,
            },
          );
        }
        const text = await response.text().catch(() => "");
        if (response.status === 200 || response.status === 201) {
          return { deviceId: request.deviceId, created: response.status === 201 };
        }
        const detail = serverMessage(text);
        if (response.status === 409) {
          throw createError(
            "core",
            ErrorCodes.CONFLICT,
            `Device ${request.deviceId} is already registered with other data${detail}`,
            {
              details: { status: 409 },
            },
          );
        }
        const retryable = response.status >= 500 || response.status === 429 || response.status === 408;
        throw createError(
          "core",
          retryable ? ErrorCodes.REGISTRATION_FAILED : ErrorCodes.INVALID_ARGUMENT,
          `The registration service answered ${response.status}${detail}`,
          { details: { status: response.status }, retryable },
        );
      },
    );

  return {
    async register(request, opts) {
      try {
        return await send(request, opts?.signal);
      } catch (error) {
        const coded = toFactoryError(error);
        if (!queue || !queueable(coded) || opts?.signal?.aborted) throw coded;
        queue.append(request);
        log.warn("Registration queued: service unavailable", {
          deviceId: request.deviceId,
          code: coded.code,
        });
        return { deviceId: request.deviceId, created: false, queued: true };
      }
    },
    async flush(opts) {
      if (!queue) return { delivered: 0, pending: 0 };
      return queue.drain(
        (request) => send(request, opts?.signal),
        (request, error) => {
          if (
            !isFactoryError(error, ErrorCodes.CONFLICT) &&
            !isFactoryError(error, ErrorCodes.INVALID_ARGUMENT)
          )
            return false;
          // The service will never take it; keeping it would block the queue forever.
          log.error("Queued registration refused by the service; dropped", {
            deviceId: request.deviceId,
            error: String(error),
          });
          return true;
        },
      );
    },
    pending: () => queue?.size ?? 0,
  };
}

function queueable(error: FactoryError): boolean {
  return error.code === ErrorCodes.REGISTRATION_FAILED || error.code === ErrorCodes.TIMEOUT;
}

function toWire(r: RegistrationRequest): Record<string, string> {
  const wire: Record<string, string | undefined> = {
    device_id: r.deviceId,
    unique_id: r.uniqueId,
    mac: r.mac,
    board_type: r.boardType,
    firmware_version: r.firmwareVersion,
    station_id: r.stationId,
    batch_id: r.batchId,
    device_secret: r.deviceSecret,
    provisioning_token: r.provisioningToken,
  };
  return Object.fromEntries(Object.entries(wire).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
}

function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const message = typeof body.error === "object" ? body.error?.message : (body.message ?? body.error);
    return typeof message === "string" ? `: ${message.slice(0, 200)}` : "";
  } catch {
    return "";
  }
}
