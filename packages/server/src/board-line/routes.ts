import type { Hono } from "hono";
import { z } from "zod";
import { type AuthEnv, requireRole } from "../http/auth";
import { readJson } from "../http/body";
import type { AppDeps } from "../http/deps";
import { streamValues } from "../stations/sse";
import { BOARD_LINE_HTML } from "./page";
import { boardLineRecordRoutes } from "./records";

const text = (max: number) => z.string().min(1).max(max);

/** One port of a flashing station as `factory flash` reports it (no secrets: no tokens, no payloads). */
const portBody = z.object({
  port: text(200),
  state: z.enum(["empty", "present", "busy", "passed", "failed", "aborted"]),
  chip: text(64).optional(),
  mac: text(32).optional(),
  step: text(32).optional(),
  bytes_done: z.number().int().nonnegative().optional(),
  bytes_total: z.number().int().nonnegative().optional(),
  bytes_per_second: z.number().nonnegative().optional(),
  error: text(500).optional(),
});

/** The body of `PUT /api/board-line/stations/:station`: the station's ports (also in the OpenAPI document). */
export const stationBody = z.object({ ports: z.array(portBody).max(512) });

export type BoardLinePort = z.output<typeof portBody>;
export interface BoardLineStation {
  station_id: string;
  updated_at: string;
  ports: BoardLinePort[];
}

/**
 * Live stations and ports of the board line: `factory flash` PUTs each station's port states
 * (`PUT /api/board-line/stations/:station`, station or admin token) about once a second; operators
 * read them (`GET /api/board-line`) or follow them (`GET /api/board-line/events`, SSE `board-line`
 * events carrying every station, also sent when a device record or batch report arrives). Port
 * states are kept in this server instance's memory only; records and reports are stored (see
 * {@link boardLineRecordRoutes}).
 */
export function boardLineRoutes(app: Hono<AuthEnv>, d: AppDeps): void {
  const stations = new Map<string, BoardLineStation>();
  const listeners = new Set<(value: BoardLineStation[]) => void>();
  const snapshot = () => [...stations.values()].sort((a, b) => a.station_id.localeCompare(b.station_id));
  const auth = (...roles: Parameters<typeof requireRole>[1]) => requireRole(d.tokens, roles, d.onAuthFailure);

  app.put("/api/board-line/stations/:station", auth("station", "admin"), async (c) => {
    const id = c.req.param("station");
    if (!/^[\w.-]{1,64}$/.test(id)) {
      return c.json(
        { error: { code: "INVALID_ARGUMENT", message: "station id: 1-64 letters, digits, . _ -" } },
        400,
      );
    }
    const body = await readJson(c, stationBody);
    const station: BoardLineStation = {
      station_id: id,
      updated_at: d.now().toISOString(),
      ports: body.ports,
    };
    stations.set(id, station);
    const all = snapshot();
    for (const l of listeners) l(all);
    return c.json({ station_id: id, ports: body.ports.length });
  });

  // A new device record or batch report: followers refresh (the page reloads its record tables).
  boardLineRecordRoutes(app, d, () => {
    const all = snapshot();
    for (const l of listeners) l(all);
  });

  app.get("/board-line", (c) => c.html(BOARD_LINE_HTML));
  const viewer = auth("operator", "station", "admin");
  app.get("/api/board-line", viewer, (c) => c.json({ stations: snapshot() }));
  app.get("/api/board-line/events", viewer, (c) =>
    streamValues(c, "board-line", snapshot, (push) => {
      listeners.add(push);
      return () => listeners.delete(push);
    }),
  );
}
