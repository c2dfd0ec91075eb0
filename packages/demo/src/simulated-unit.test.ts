import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateMasterKey, type RunningServer, startServer } from "@factory/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSimulatedUnit } from "./simulated-unit";
import { BUILD_STAGES, demoTiming } from "./timing";
import { startUnitServices, type UnitServices } from "./unit-services";

const UNIT = "unit-token-0123456789abcdef";
const OPERATOR = "operator-token-0123456789ab";

describe("a simulated unit met mid-build (head start)", () => {
  let dir: string;
  let server: RunningServer;
  let services: UnitServices;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-unit-"));
    server = await startServer({
      database: { kind: "sqlite", file: path.join(dir, "factory.db") },
      masterKey: generateMasterKey(),
      tokens: [
        { name: "unit", role: "unit", token: UNIT },
        { name: "operator", role: "operator", token: OPERATOR },
      ],
      host: "127.0.0.1",
      port: 0,
      shutdownGraceMs: 1000,
    });
    services = await startUnitServices();
  });
  afterAll(async () => {
    await services?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("heartbeats from the stage it is in, then reports the whole build's duration", async () => {
    const mac = "02:fa:c7:00:00:31";
    const stages: string[] = [];
    const off = server.events.subscribe((e) => {
      if (e.type === "unit" && e.mac === mac && e.stage && stages.at(-1) !== e.stage) stages.push(e.stage);
    });
    // No jitter (random 0.5): Proxmox and OPNsense are done, 10 s into the management VM.
    const build = BUILD_STAGES.reduce((s, x) => s + x.seconds, 0);
    const headStart = (BUILD_STAGES[0].seconds + BUILD_STAGES[1].seconds + 10) / build;
    const outcome = await runSimulatedUnit({
      mac,
      port: "3",
      ip: "192.168.100.103",
      server: server.url,
      token: UNIT,
      stateDir: path.join(dir, "unit"),
      timing: demoTiming(2000),
      fate: { kind: "ready" },
      headStart,
      services,
      random: () => 0.5,
      signal: new AbortController().signal,
    });
    off();
    expect(outcome).toBe("ready");
    expect(stages[0]).toBe("deploying_management_vm");
    expect(stages).not.toContain("installing_proxmox");
    expect(stages).not.toContain("deploying_opnsense");
    expect(stages).toContain("deploying_services");
    const res = await fetch(`${server.url}/api/units/${encodeURIComponent(mac)}`, {
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    const unit = (await res.json()) as { status: string; build_duration_seconds: number };
    expect(unit.status).toBe("ready");
    // The four stages (840 s) and the minute of self-tests and reporting, head start included.
    expect(unit.build_duration_seconds).toBe(900);
  }, 30_000);
});
