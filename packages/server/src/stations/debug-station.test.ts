import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createFakeSwitch, requirePeer } from "@factory/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness";
import { isRoot, SSHD_PEER, startUnitSshd, UNIT_PASSWORD, UNIT_USER, type UnitSshd } from "../testing/sshd";
import type { DebugRun } from "./debug-station";
import { collectLogs, SEED_LOG_LIST } from "./ssh-collect";

const local = (command: string) => spawnSync("sh", ["-c", `${command} 2>&1`], { encoding: "utf8" }).stdout;

const BOOTSTRAP = "/tmp/privatebox-bootstrap.log";
const FAILED = { mac: "aa:bb:cc:00:22:01", serial: "d00dfeed-0000-4000-8000-000000000022" };

describe.runIf(requirePeer(SSHD_PEER) && isRoot())("debug station against a real OpenSSH server", () => {
  let sshd: UnitSshd;
  let createdBootstrap = false;
  const marker = `bootstrap step 7/9 failed: adguard ${Date.now()}`;
  beforeAll(async () => {
    sshd = await startUnitSshd();
    if (!existsSync(BOOTSTRAP)) {
      writeFileSync(BOOTSTRAP, `${marker}\n`, { mode: 0o644 });
      createdBootstrap = true;
    }
  });
  afterAll(async () => {
    await sshd?.stop();
    if (createdBootstrap) rmSync(BOOTSTRAP, { force: true });
  });

  const target = () => ({
    host: "127.0.0.1",
    port: sshd.port,
    username: UNIT_USER,
    privateKey: sshd.clientKey,
    connectTimeoutMs: 5000,
  });

  it("pulls the seed's log list: files, command output, missing files and failed commands recorded as such", async () => {
    const logs = await collectLogs(
      { ...target(), hostKeySha256: [sshd.hostKeySha256] },
      { commandTimeoutMs: 10_000, maxOutputBytes: 1_000_000 },
    );
    expect(Object.keys(logs)).toEqual(SEED_LOG_LIST.map((i) => i.name));
    if (createdBootstrap) expect(logs[BOOTSTRAP]).toBe(`${marker}\n`);
    if (!existsSync("/var/log/privatebox-guest-setup.log")) {
      expect(logs["/var/log/privatebox-guest-setup.log"]).toBe(
        "[missing] /var/log/privatebox-guest-setup.log: no such file on the unit",
      );
    }
    // This machine runs no systemd: the journal commands fail and say so, the rest still run.
    expect(logs["ip addr show"]).toMatch(/127\.0\.0\.1/);
    expect(logs["ss -tlnp"]).toContain(`127.0.0.1:${sshd.port}`);
    // The journal commands ran for real: same text as running them here (this machine has no
    // systemd, so systemctl fails and its exit status is recorded).
    // stdout and stderr arrive on two SSH streams, so compare lines, not their interleaving.
    const lines = (text: string | undefined) => new Set((text ?? "").split("\n").filter(Boolean));
    for (const line of lines(local("journalctl --no-pager -u portainer.service")))
      expect(lines(logs["journalctl -u portainer.service"])).toContain(line);
    for (const line of lines(local("systemctl --failed --no-pager")))
      expect(lines(logs["systemctl --failed"])).toContain(line);
    if (!existsSync("/run/systemd/system")) expect(logs["systemctl --failed"]).toMatch(/\[exit status 1\]$/);
  });

  it("bounds each command, cuts long output, and logs in with a password", async () => {
    const started = Date.now();
    const logs = await collectLogs(
      {
        host: "127.0.0.1",
        port: sshd.port,
        username: UNIT_USER,
        password: UNIT_PASSWORD,
        connectTimeoutMs: 5000,
      },
      {
        items: [
          { name: "hangs", command: "sleep 30; echo never" },
          { name: "long", command: "head -c 300000 /dev/zero | tr '\\0' x" },
          { name: "after", command: "echo still-running" },
        ],
        commandTimeoutMs: 800,
        maxOutputBytes: 4096,
      },
    );
    expect(logs.hangs).toBe("\n[timed out after 800 ms]");
    expect(logs.long?.startsWith(`${"x".repeat(4096)}\n[cut at 4096 bytes]`)).toBe(true);
    expect(logs.long).not.toContain("x".repeat(4097));
    expect(logs.after).toBe("still-running\n");
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it("refuses a host key that is not listed, a wrong password, and a port nobody listens on", async () => {
    await expect(
      collectLogs(
        { ...target(), hostKeySha256: ["SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] },
        { commandTimeoutMs: 1000, maxOutputBytes: 1024 },
      ),
    ).rejects.toMatchObject({ code: "SSH_HOST_KEY_REJECTED" });
    await expect(
      collectLogs(
        {
          host: "127.0.0.1",
          port: sshd.port,
          username: UNIT_USER,
          password: "wrong-password",
          connectTimeoutMs: 5000,
        },
        { commandTimeoutMs: 1000, maxOutputBytes: 1024 },
      ),
    ).rejects.toMatchObject({ code: "SSH_AUTH_FAILED" });
    await expect(
      collectLogs({ ...target(), port: 1 }, { commandTimeoutMs: 1000, maxOutputBytes: 1024 }),
    ).rejects.toMatchObject({ code: "SSH_CONNECT_FAILED" });
  });

  describe("in the server", () => {
    let s: TestServer;
    const sw = createFakeSwitch();
    beforeAll(async () => {
      s = await startTestServer({
        stations: {
          switch: { driver: "injected" },
          debug: {
            port: "22",
            ssh: {
              username: UNIT_USER,
              port: sshd.port,
              privateKeyFile: sshd.clientKeyFile,
              hostKeys: { policy: "fingerprints", sha256: [sshd.hostKeySha256] },
            },
            commandTimeoutMs: 10_000,
          },
        },
        stationDrivers: { switch: sw },
      });
    });
    afterAll(async () => {
      await s?.stop();
    });

    const runs = async (mac: string, status: DebugRun["status"]) => {
      for (let i = 0; i < 400; i++) {
        const r = await s.call("GET", "/api/stations/debug", { token: "operator" });
        const run = (r.json.runs as DebugRun[]).find((x) => x.mac === mac && x.status === status);
        if (run) return run;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error(`no ${status} run for ${mac}`);
    };

    it("finds a failed unit by the address it reported from, collects over SSH and stores the logs", async () => {
      const r = await s.call("POST", "/api/units", {
        token: "unit",
        body: { mac_wan: FAILED.mac, status: "failed", serial: FAILED.serial, failed_tests: ["adguard"] },
      });
      expect(r.status).toBe(201);
      sw.linkUp("22");
      sw.learn(FAILED.mac, "22");
      const run = await runs(FAILED.mac, "stored");
      expect(run).toMatchObject({ address: "127.0.0.1", via: "contacts", serial: FAILED.serial });
      const stored = await s.call("GET", `/api/units/${FAILED.mac}/debug-logs`, { token: "operator" });
      expect(stored.json.logs).toHaveLength(1);
      expect(Object.keys(stored.json.logs[0].logs)).toEqual(SEED_LOG_LIST.map((i) => i.name));
      expect(stored.json.logs[0].logs["ss -tlnp"]).toContain(`127.0.0.1:${sshd.port}`);
      const audit = await s.call("GET", `/api/audit?mac=${FAILED.mac}&action=debug-logs.saved`, {
        token: "admin",
      });
      expect(audit.json.events).toHaveLength(1);
      sw.linkDown("22");
    });

    it("falls back to the switch's ARP table, and records a unit it cannot reach or does not know", async () => {
      const arpUnit = "aa:bb:cc:00:22:02";
      // A unit whose reports came through another host: only the switch knows its address.
      await s.store.recordReport({ mac: arpUnit, status: "failed", failedTests: ["homer"] });
      sw.setArp(arpUnit, "127.0.0.1");
      sw.linkUp("22");
      sw.learn(arpUnit, "22");
      expect(await runs(arpUnit, "stored")).toMatchObject({ via: "arp", address: "127.0.0.1" });
      sw.linkDown("22");

      const nowhere = "aa:bb:cc:00:22:03";
      await s.store.recordReport({ mac: nowhere, status: "failed" });
      sw.linkUp("22");
      sw.learn(nowhere, "22");
      expect((await runs(nowhere, "failed")).error?.code).toBe("NO_ADDRESS");
      sw.linkDown("22");

      const stranger = "aa:bb:cc:00:22:04";
      sw.linkUp("22");
      sw.learn(stranger, "22");
      expect((await runs(stranger, "failed")).error?.code).toBe("NOT_FOUND");
      sw.linkDown("22");
    });
  });
});
