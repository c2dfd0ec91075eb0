import { createError, ErrorCodes } from "@factory/core";
import type { DebugLogSink } from "./debug-station";

/**
 * A {@link DebugLogSink} for a debug station on another host: reads the unit with
 * `GET /api/units/{mac}` and stores the logs with `POST /api/debug-logs`, with a station token.
 */
export function httpDebugSink(options: { url: string; token: string }): DebugLogSink {
  const root = options.url.replace(/\/+$/, "");
  const headers = { authorization: `Bearer ${options.token}`, "content-type": "application/json" };
  const failed = (what: string, status: number) =>
    createError(
      "server/debug-station",
      status >= 500 ? ErrorCodes.STORE_ERROR : ErrorCodes.INVALID_ARGUMENT,
      `${what}: the server answered ${status}`,
    );
  return {
    async unitSerial(mac, signal) {
      const res = await fetch(`${root}/api/units/${encodeURIComponent(mac)}`, { headers, signal });
      if (res.status === 404) return { known: false };
      if (!res.ok) throw failed("Reading the unit record", res.status);
      const j = (await res.json()) as { serial?: string };
      return { known: true, ...(j.serial && { serial: j.serial }) };
    },
    async save(mac, entries, collectedAt, signal) {
      const res = await fetch(`${root}/api/debug-logs`, {
        method: "POST",
        headers,
        signal,
        body: JSON.stringify({ mac_wan: mac, collected_at: collectedAt.toISOString(), logs: entries }),
      });
      if (res.status !== 201) throw failed("Storing the debug logs", res.status);
      return ((await res.json()) as { id: string }).id;
    },
  };
}
