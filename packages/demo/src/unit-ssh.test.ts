import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { collectLogs, SEED_LOG_LIST } from "@factory/server";
import ssh2 from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUnitSystem, guestSetupLines, runUnitCommand, type UnitSystem } from "./unit-shell";
import { startUnitSsh, type UnitSsh } from "./unit-ssh";

const { utils } = ssh2;
const clientKey = utils.generateKeyPairSync("ed25519");
const strangerKey = utils.generateKeyPairSync("ed25519");
const PASSWORD = "factory-debug-pass-0123";

describe("a simulated unit's SSH server, read by the debug station's collector", () => {
  let dir: string;
  let system: UnitSystem;
  let ssh: UnitSsh;
  const target = (extra: Record<string, unknown> = {}) => ({
    host: "127.0.0.1",
    port: ssh.port,
    username: "root",
    privateKey: clientKey.private,
    connectTimeoutMs: 5000,
    ...extra,
  });
  const options = { commandTimeoutMs: 5000, maxOutputBytes: 100_000 };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "factory-unit-ssh-"));
    system = createUnitSystem({ mac: "02:fa:c7:00:00:04", ip: "192.168.100.104", stateDir: dir });
    system.failing = ["adguard"];
    system.stage = "self_test";
    system.opnsenseAt = new Date();
    system.servicesAt = new Date();
    writeFileSync(system.files.bootstrap, "stage deploying_services\nself-test adguard: FAIL 503\n");
    writeFileSync(system.files.guestSetup, `${guestSetupLines(system).join("\n")}\n`);
    ssh = await startUnitSsh({
      username: "root",
      authorizedKeys: [clientKey.public],
      password: PASSWORD,
      run: (command) => runUnitCommand(system, command),
    });
  });
  afterAll(async () => {
    await ssh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a failed unit: the seed's log list shows its failed service, its error and its WAN address", async () => {
    const logs = await collectLogs(target({ hostKeySha256: [ssh.hostKeySha256] }), options);
    expect(Object.keys(logs)).toEqual(SEED_LOG_LIST.map((i) => i.name));
    expect(logs["/tmp/privatebox-bootstrap.log"]).toBe(
      "stage deploying_services\nself-test adguard: FAIL 503\n",
    );
    expect(logs["/var/log/privatebox-guest-setup.log"]).toContain(
      "adguard.service: container exited with code 1: [fatal] starting dns server",
    );
    expect(logs["systemctl --failed"]).toMatch(/● adguard\.service +loaded failed failed AdGuard Home/);
    expect(logs["systemctl --failed"]).toContain("1 loaded units listed.");
    expect(logs["journalctl -u semaphore.service"]).toContain("Started semaphore.service - Semaphore.");
    expect(logs["journalctl -u portainer.service"]).not.toContain("Failed");
    expect(logs["ip addr show"]).toContain("inet 192.168.100.104/24");
    expect(logs["ip addr show"]).toContain("link/ether 02:fa:c7:00:00:04");
    expect(logs["ip addr show"]).toContain("inet 10.10.20.20/24");
    expect(logs["ss -tlnp"]).toMatch(/LISTEN .*0\.0\.0\.0:22 .*sshd/);
  });

  it("a hung unit: no services started, nothing failed, its guest setup log stops at the VM's boot", async () => {
    const hung = createUnitSystem({ mac: "02:fa:c7:00:00:07", ip: "192.168.100.107", stateDir: dir });
    hung.hung = true;
    hung.stage = "deploying_services";
    expect((await runUnitCommand(hung, "journalctl --no-pager -u semaphore.service")).output).toBe(
      "-- No entries --\n",
    );
    expect((await runUnitCommand(hung, "systemctl --failed --no-pager")).output).toContain(
      "0 loaded units listed.",
    );
    // Its guest setup log lives in the other unit's folder here: the one this unit would read is absent.
    const missing = await runUnitCommand(
      { ...hung, files: { ...hung.files, guestSetup: path.join(dir, "absent.log") } },
      "if [ -e '/var/log/privatebox-guest-setup.log' ]; then cat -- '/var/log/privatebox-guest-setup.log'; else exit 44; fi",
    );
    expect(missing).toEqual({ output: "", code: 44 });
    expect((await runUnitCommand(hung, "ip addr show")).output).not.toContain("10.10.20.20");
    expect(await runUnitCommand(hung, "rm -rf /")).toEqual({
      output: "bash: rm: command not found\n",
      code: 127,
    });
  });

  it("logs in with the password too; refuses an unknown key, a wrong password and a wrong account", async () => {
    const items = [{ name: "hostname", command: "hostname" }];
    const withPassword = await collectLogs(
      { host: "127.0.0.1", port: ssh.port, username: "root", password: PASSWORD, connectTimeoutMs: 5000 },
      { ...options, items },
    );
    expect(withPassword).toEqual({ hostname: "privatebox\n" });
    await expect(collectLogs(target({ privateKey: strangerKey.private }), options)).rejects.toMatchObject({
      code: "SSH_AUTH_FAILED",
    });
    await expect(
      collectLogs(
        { host: "127.0.0.1", port: ssh.port, username: "root", password: "wrong", connectTimeoutMs: 5000 },
        options,
      ),
    ).rejects.toMatchObject({ code: "SSH_AUTH_FAILED" });
    await expect(collectLogs(target({ username: "admin" }), options)).rejects.toMatchObject({
      code: "SSH_AUTH_FAILED",
    });
  });

  it("shows its own generated host key: another fingerprint is rejected", async () => {
    expect(ssh.hostKeySha256).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await expect(
      collectLogs(target({ hostKeySha256: ["SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] }), options),
    ).rejects.toMatchObject({ code: "SSH_HOST_KEY_REJECTED" });
  });

  it("once closed (the unit left), the station cannot reach it", async () => {
    const other = await startUnitSsh({
      username: "root",
      authorizedKeys: [clientKey.public],
      run: (command) => runUnitCommand(system, command),
    });
    const port = other.port;
    await other.close();
    await expect(collectLogs({ ...target(), port }, options)).rejects.toMatchObject({
      code: "SSH_CONNECT_FAILED",
    });
  });
});
