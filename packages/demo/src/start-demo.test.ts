import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningDemo, startDemo } from "./start-demo";

/** Handles that would keep a process alive (sockets, servers, timers) by type, counted. */
const handles = () => {
  const counts: Record<string, number> = {};
  for (const t of process.getActiveResourcesInfo()) counts[t] = (counts[t] ?? 0) + 1;
  return counts;
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the virtual factory in-process, at high speed", () => {
  let dir: string;
  let demo: RunningDemo;
  let before: Record<string, number>;
  const api = async (route: string, token: string) => {
    const res = await fetch(`${demo.url}${route}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> & { units?: unknown } };
  };
  // biome-ignore lint/suspicious/noExplicitAny: tests read API JSON
  const units = async (status: string): Promise<any[]> =>
    (await api(`/api/units?status=${status}`, demo.tokens.operator)).json.units as never;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-demo-"));
    before = handles();
    // 7 units: unit 3 fails a self-test, unit 6 goes silent (the last one on a small floor).
    demo = await startDemo({ dir, units: 7, speed: 300, espPorts: 2 });
  });
  afterAll(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("units heartbeat through the stages, most become ready, one fails with diagnostics, one is marked stuck", async () => {
    const building = await until("a heartbeat with a stage", async () => {
      const list = await units("building");
      return list.find((u) => u.stage && u.last_heartbeat && u.port) ?? undefined;
    });
    expect(building.stage).toMatch(/^(installing_proxmox|deploying_|self_test|isolation)/);
    expect(Number(building.port)).toBeGreaterThanOrEqual(1);

    const ready = await until("three ready units", async () => {
      const list = await units("ready");
      return list.length >= 3 ? list : undefined;
    });
    for (const u of ready) {
      expect(u.has_credentials).toBe(true);
      expect(u.test_results).toMatchObject({ portainer: "pass", adguard: "pass", isolation: "pass" });
      expect(u.serial).toMatch(/^[0-9a-f-]{36}$/);
    }

    const failed = await until("a failed unit", async () => (await units("failed"))[0]);
    expect(failed.failed_tests).toEqual(["adguard"]);
    expect(failed.error_log).toContain("503");
    expect(failed.diagnostic_data).toContain("adguard.service");
    expect(failed.diagnostic_data).toContain("self-test adguard: FAIL");
    expect(failed.has_credentials).toBe(false);

    // Unit 6 (port 7) hangs in deploying_services. (On a busy machine another unit's heartbeat
    // can come later than the fast clock's stuck time; a later heartbeat sets it building again.)
    const stuck = await until("unit 6 stuck", async () =>
      (await units("stuck")).find((u) => u.port === "7" && u.stage === "deploying_services"),
    );
    expect(stuck.has_credentials).toBe(false);
    expect(stuck.last_heartbeat).toBeTruthy();
  }, 90_000);

  it("the flashing station registers the boards it flashed and shows its ports on the board line", async () => {
    const registrations = await until("an ESP registration", async () => {
      const { json } = await api("/api/admin/device-registrations", demo.tokens.admin);
      const list = json.registrations as { device_id: string; board_type: string; station_id: string }[];
      return list.length > 0 ? list : undefined;
    });
    expect(registrations[0]).toMatchObject({ board_type: "esp32", station_id: "esp-station-1" });
    expect(registrations[0]!.device_id).toMatch(/^esp32-/);
    const board = await api("/api/board-line", demo.tokens.operator);
    const stations = board.json.stations as {
      station_id: string;
      ports: { port: string; state: string }[];
    }[];
    expect(stations.map((s) => s.station_id)).toEqual(["esp-station-1"]);
    expect(stations[0]!.ports.map((p) => p.port)).toEqual(["sim:esp32-0", "sim:esp32-1"]);

    // The board line's "Latest devices" and "Batch reports" fill: the server took each record and
    // the first round's report (its own validation accepted them).
    const records = await until("a board-line record", async () => {
      const { json } = await api("/api/board-line/records", demo.tokens.operator);
      const list = json.records as { device_id: string; station_id: string; status: string }[];
      return list.length > 0 ? list : undefined;
    });
    expect(records[0]).toMatchObject({
      station_id: "esp-station-1",
      status: expect.stringMatching(/^(passed|failed)$/),
    });
    const reports = await until("a batch report", async () => {
      const { json } = await api("/api/board-line/reports", demo.tokens.operator);
      const list = json.reports as { batch_ids: string[]; totals: { devices: number } }[];
      return list.length > 0 ? list : undefined;
    });
    expect(reports[0]!.batch_ids[0]).toMatch(/^esp-station-1-/);
    expect(reports[0]!.totals.devices).toBe(2);
  }, 60_000);

  it("the demo page and its floor API need a token; moving a unit that is not ready is refused", async () => {
    expect((await fetch(`${demo.url}/demo`)).status).toBe(200);
    expect((await api("/api/demo/floor", "wrong-token-0123456789")).status).toBe(401);
    const floor = await api("/api/demo/floor", demo.tokens.operator);
    expect(floor.json).toMatchObject({ build_ports: 7, label_port: "21" });
    const notReady = demo.floor.units().find((u) => u.state === "building" || u.state === "failed");
    if (notReady) {
      const res = await fetch(`${demo.url}/api/demo/units/${notReady.mac}/move`, {
        method: "POST",
        headers: { authorization: `Bearer ${demo.tokens.operator}` },
      });
      expect(res.status).toBe(409);
    }
    const unknown = await fetch(`${demo.url}/api/demo/units/02:00:00:00:00:99/move`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.tokens.unit}` },
    });
    expect(unknown.status).toBe(403);
  });

  it("moving units to port 21 re-cables the simulated switch; the unit already there goes back to its build port; a replug asks again", async () => {
    const ready = demo.floor.units().filter((u) => u.state === "ready");
    expect(ready.length).toBeGreaterThanOrEqual(2);
    const [a, b] = ready as [(typeof ready)[0], (typeof ready)[0]];
    const port = (name: string) => demo.switchSimulator.ports().find((p) => p.port === name)!;
    // The switch learns a MAC a moment after the link comes up, like a real bridge.
    const learned = (name: string, mac: string) =>
      until(
        `${mac} learned on ${name}`,
        async () => (port(name).macs.includes(mac) ? true : undefined),
        5000,
      );
    const move = (mac: string) =>
      fetch(`${demo.url}/api/demo/units/${mac}/move`, {
        method: "POST",
        headers: { authorization: `Bearer ${demo.tokens.operator}` },
      });

    expect((await move(a.mac)).status).toBe(200);
    await learned("21", a.mac);
    expect(port("21")).toMatchObject({ up: true, macs: [a.mac] });
    expect(port(a.buildPort).up).toBe(false);
    // The label station saw the link-up trap and asks about unit a.
    await until(
      "the label station to ask about a",
      async () => {
        const { json } = await api("/api/stations/label", demo.tokens.operator);
        const state = json.state as { kind: string; mac?: string };
        return state.kind === "confirm-print" && state.mac === a.mac ? true : undefined;
      },
      20_000,
    );

    expect((await move(b.mac)).status).toBe(200);
    await learned("21", b.mac);
    await learned(a.buildPort, a.mac);
    expect(port("21")).toMatchObject({ up: true, macs: [b.mac] });
    expect(port(a.buildPort)).toMatchObject({ up: true, macs: [a.mac] });
    expect(port(b.buildPort).up).toBe(false);
    const floor = demo.floor.units();
    expect(floor.find((u) => u.mac === a.mac)).toMatchObject({ state: "ready", pluggedInto: a.buildPort });
    expect(floor.find((u) => u.mac === b.mac)).toMatchObject({ state: "labeling", pluggedInto: "21" });

    // Replugging the unit on port 21 (the seed's retry after a misprint) starts a new question.
    const asked = await until(
      "the label station to ask about b",
      async () => {
        const state = (await api("/api/stations/label", demo.tokens.operator)).json.state as {
          kind: string;
          mac?: string;
          session: number;
        };
        return state.kind === "confirm-print" && state.mac === b.mac ? state.session : undefined;
      },
      20_000,
    );
    expect((await move(b.mac)).status).toBe(200);
    await until(
      "a new question about b after the replug",
      async () => {
        const state = (await api("/api/stations/label", demo.tokens.operator)).json.state as {
          kind: string;
          mac?: string;
          session: number;
        };
        return state.kind === "confirm-print" && state.mac === b.mac && state.session > asked
          ? true
          : undefined;
      },
      20_000,
    );
  }, 60_000);

  it("close stops every part: no socket, server or timer is left, the database is closed", async () => {
    const url = demo.url;
    const started = Date.now();
    await demo.close();
    const took = Date.now() - started;
    await new Promise((r) => setTimeout(r, 100));
    const after = handles();
    for (const kind of ["UDPWRAP", "TCPServerWrap", "TCPSocketWrap", "Timeout", "Immediate"]) {
      // At most what the test runner itself had before the demo started (its own timers vary).
      expect(after[kind] ?? 0, kind).toBeLessThanOrEqual(before[kind] ?? 0);
    }
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    expect(existsSync(path.join(dir, "factory.db"))).toBe(true);
    // Bounded by the server's 2 s grace for requests in flight, not by any part hanging.
    expect(took).toBeLessThan(10_000);
  }, 30_000);
});
