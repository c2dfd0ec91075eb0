import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createLogger } from "@factory/core";
import { type DebugRun, SEED_LOG_LIST } from "@factory/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FloorUnit } from "./build-floor";
import { type RunningDemo, startDemo } from "./start-demo";

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 60_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the debug port in the virtual factory: failed and stuck units answer SSH, the station stores their logs", () => {
  let dir: string;
  let demo: RunningDemo;
  const logLines: string[] = [];
  const post = (route: string, body?: unknown) =>
    fetch(`${demo.url}${route}`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.tokens.operator}`, "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  const get = async (route: string) =>
    (
      await fetch(`${demo.url}${route}`, { headers: { authorization: `Bearer ${demo.tokens.operator}` } })
    ).json();
  const unit = (mac: string): FloorUnit | undefined => demo.floor.units().find((u) => u.mac === mac);
  const storedLogs = (mac: string) =>
    until(`logs of ${mac}`, async () => {
      const { logs } = (await get(`/api/units/${mac}/debug-logs`)) as {
        logs: { logs: Record<string, string> }[];
      };
      return logs.length > 0 ? logs[logs.length - 1]!.logs : undefined;
    });
  const lastRun = (mac: string, status: DebugRun["status"]) =>
    until(`a ${status} debug run for ${mac}`, async () => {
      const { runs } = (await get("/api/stations/debug")) as { runs: DebugRun[] };
      const run = runs.find((r) => r.mac === mac);
      return run?.status === status ? run : undefined;
    });
  let failedMac: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-demo-debug-"));
    demo = await startDemo({
      dir,
      units: 2,
      // Slow enough that a failed or stuck unit stays on its port for seconds (6 s) before it is taken away.
      speed: 100,
      espPorts: 0,
      // Port 1: semaphore fails near the end of the build; port 2 hangs in deploying_services; later ones pass.
      fate: (n) =>
        n === 0
          ? { kind: "fail", test: "semaphore" }
          : n === 1
            ? { kind: "stuck", stage: "deploying_services" }
            : { kind: "ready" },
      headStart: (n) => (n === 0 ? 0.9 : n === 1 ? 0.75 : 0),
      logger: createLogger({ level: "debug", sink: (r) => void logLines.push(JSON.stringify(r)) }),
    });
  });
  afterAll(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a failed unit moved to port 22: the station finds it by its contact, logs in over SSH and stores the seed's log list", async () => {
    const failed = await until("the failed unit", () => demo.floor.units().find((u) => u.state === "failed"));
    failedMac = failed.mac;
    expect(failed.sshPort).toBeGreaterThan(0);
    const res = await post(`/api/demo/units/${failed.mac}/debug`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { unit: { state: string; plugged_into: string } }).unit).toMatchObject({
      state: "debugging",
      plugged_into: "22",
    });
    // A real link-up trap on port 22 → the station's watch → SSH to the unit → stored.
    const logs = await storedLogs(failed.mac);
    expect(Object.keys(logs)).toEqual(SEED_LOG_LIST.map((i) => i.name));
    expect(logs["/tmp/privatebox-bootstrap.log"]).toContain("self-test semaphore: FAIL");
    expect(logs["/var/log/privatebox-guest-setup.log"]).toContain(
      "semaphore.service: container exited with code 1: error: database migration failed",
    );
    expect(logs["journalctl -u semaphore.service"]).toContain(
      "semaphore.service: Main process exited, code=exited, status=1/FAILURE",
    );
    expect(logs["journalctl -u portainer.service"]).toContain("Started portainer.service - Portainer.");
    expect(logs["systemctl --failed"]).toMatch(/● semaphore\.service +loaded failed failed Semaphore/);
    expect(logs["ip addr show"]).toContain(`link/ether ${failed.mac}`);
    expect(logs["ip addr show"]).toContain("inet 192.168.100.101/24");
    expect(logs["ss -tlnp"]).toContain("sshd");

    const run = await lastRun(failed.mac, "stored");
    expect(run).toMatchObject({ address: "127.0.0.1", via: "contacts", sshPort: failed.sshPort });
    expect(run.items).toHaveLength(SEED_LOG_LIST.length);
    // The demo page's floor shows the run on the unit on port 22.
    const floor = (await get("/api/demo/floor")) as {
      debug_port: string;
      units: { mac: string; debug: unknown }[];
    };
    expect(floor.debug_port).toBe("22");
    expect(floor.units.find((u) => u.mac === failed.mac)?.debug).toEqual({
      status: "stored",
      items: SEED_LOG_LIST.length,
      error: null,
    });
  }, 60_000);

  it("a stuck unit moved there next: the failed one is taken away first; the logs show the hang, nothing failed", async () => {
    const stuck = await until("the stuck unit", () => demo.floor.units().find((u) => u.state === "stuck"));
    const port = (name: string) => demo.switchSimulator.ports().find((p) => p.port === name)!;
    expect((await post(`/api/demo/units/${stuck.mac}/debug`)).status).toBe(200);
    // Unplugged from port 22 (off to the bench); its build port gets a new unit a moment later.
    expect(unit(failedMac)?.pluggedInto).toBeUndefined();
    // It cannot be replugged into port 22 any more (409 while its build port waits, 404 once replaced).
    expect([404, 409]).toContain((await post(`/api/demo/units/${failedMac}/debug`)).status);
    expect(port("22").macs).not.toContain(failedMac);
    const logs = await storedLogs(stuck.mac);
    expect(logs["/tmp/privatebox-bootstrap.log"]).toContain(
      "deploying_services: no progress (hung waiting for the VM to boot)",
    );
    expect(logs["/var/log/privatebox-guest-setup.log"]).toContain("waiting for the management VM");
    expect(logs["/var/log/privatebox-guest-setup.log"]).not.toContain("starting containers");
    expect(logs["journalctl -u semaphore.service"]).toBe("-- No entries --\n");
    expect(logs["systemctl --failed"]).toContain("0 loaded units listed.");
    // A new unit was plugged into the failed one's build port.
    await until("a new unit on port 1", () =>
      demo.floor.units().find((u) => u.buildPort === "1" && u.mac !== failedMac),
    );
  }, 60_000);

  it("the station's defined errors: a unit that left the floor cannot be reached, an unknown one is not known", async () => {
    // The failed unit left: its SSH server is gone, its contact is stale.
    expect((await post("/api/stations/debug/collect", { mac_wan: failedMac })).status).toBe(202);
    const gone = await lastRun(failedMac, "failed");
    expect(gone.error).toMatchObject({ code: "SSH_CONNECT_FAILED" });
    expect(gone.error!.message).toContain("Cannot reach the unit at root@127.0.0.1:");

    const stranger = "02:00:00:00:09:99";
    expect((await post("/api/stations/debug/collect", { mac_wan: stranger })).status).toBe(202);
    expect((await lastRun(stranger, "failed")).error).toMatchObject({ code: "NOT_FOUND" });

    // The demo's move: 404 for a unit not on the floor, 409 for one neither failed nor stuck.
    expect((await post(`/api/demo/units/${stranger}/debug`)).status).toBe(404);
    const healthy = await until("a building or ready unit", () =>
      demo.floor.units().find((u) => u.state === "building" || u.state === "ready"),
    );
    expect((await post(`/api/demo/units/${healthy.mac}/debug`)).status).toBe(409);
  }, 60_000);

  it("keeps SSH secrets out: the factory key is off the disk and out of every log line", () => {
    expect(existsSync(path.join(dir, "debug-station", "factory_ed25519"))).toBe(false);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes("debug logs stored"))).toBe(true);
    for (const line of logLines) {
      expect(line).not.toMatch(/PRIVATE KEY|b3BlbnNzaC1rZXktdjE/);
    }
  });
});
