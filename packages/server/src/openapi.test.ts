import { noopLogger } from "@factory/core";
import { createMemoryUnitStore } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boardLineRoutes } from "./board-line/routes";
import { createEventBus, type EventBus } from "./events";
import { createApp } from "./http/app";
import { createTokenTable } from "./http/auth";
import { openApiDocument } from "./openapi";

type Operation = {
  summary: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: object } }> };
  responses: Record<string, unknown>;
};
type Doc = { paths: Record<string, Record<string, Operation> & { parameters?: { name: string }[] }> };

describe("OpenAPI document", () => {
  let events: EventBus;
  let app: ReturnType<typeof createApp>["app"];
  const doc = openApiDocument("0.0.0-test") as unknown as Doc;
  beforeAll(async () => {
    events = await createEventBus({ logger: noopLogger });
    ({ app } = createApp({
      store: createMemoryUnitStore(),
      tokens: createTokenTable([]),
      events,
      plugins: [boardLineRoutes],
    }));
  });
  afterAll(async () => {
    await events.close();
  });

  it("describes every /api route the server answers, with its method and path parameters", () => {
    const served = app.routes
      .filter((r) => r.path.startsWith("/api/") && r.method !== "ALL")
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, "{$1}") }));
    expect(served.filter((r) => r.path.startsWith("/api/board-line")).length).toBeGreaterThanOrEqual(8);
    for (const { method, path } of served) {
      const item = doc.paths[path];
      expect(item?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
      const declared = [
        ...(item?.parameters ?? []),
        ...((item?.[method] as Operation | undefined)?.parameters ?? []),
      ].map((p) => p.name);
      for (const name of path.match(/\{(\w+)\}/g) ?? []) expect(declared).toContain(name.slice(1, -1));
    }
  });

  it("gives the board-line bodies as the routes validate them", () => {
    const body = (path: string, method: string) =>
      doc.paths[path]?.[method]?.requestBody?.content["application/json"]?.schema;
    expect(body("/api/board-line/records", "post")?.required).toEqual(
      expect.arrayContaining(["record_id", "timestamp", "status", "station_id", "batch_id", "mac_address"]),
    );
    expect(body("/api/board-line/reports/{report_id}", "put")?.required).toEqual(["report", "batches"]);
    expect(body("/api/board-line/stations/{station}", "put")?.required).toEqual(["ports"]);
    const list = doc.paths["/api/board-line/records"]?.get?.parameters?.map((p) => p.name);
    expect(list).toEqual(["station", "batch", "status", "mac", "since", "limit", "cursor"]);
    expect(Object.keys(doc.paths["/api/board-line/records"]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "201", "400", "401", "403"]),
    );
  });
});
