import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { passwordWordList, passwordWords } from "@factory/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServerEvent } from "../events";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";
import { serverOnOneDatabase } from "../testing/one-database-server";
import { agentStateDir, runAgent, startDelayingProxy, startDnsServer } from "./agent-test-support";
import { expectReadyAllPassed, expectWordListPasswords } from "./ready-unit";

const MAC = "02:fa:c7:00:00:01";
const HOSTILE =
  'quote " backslash \\ \\n literal, tab\t, cr\r, esc \x1b[31m, bell \x07, nul \x00 here, ' +
  'unicode é ✓ 🙂, shell $(reboot) `id` $HOME, printf %s %d %%, ampersand & and \\& , json {"a":[1]}\n' +
  "last line without newline \x01\x1f";

let server: TestServer;
let stateDir: string;

beforeEach(async () => {
  server = await startTestServer({ stuckAfterMs: 3_600_000 });
  stateDir = agentStateDir();
});

afterEach(async () => {
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    FACTORY_SERVER: server.url,
    FACTORY_TOKEN: TOKENS.unit,
    FACTORY_STATE_DIR: stateDir,
    FACTORY_MAC: MAC,
    FACTORY_HEARTBEAT_SECONDS: "1",
    FACTORY_RETRY_BASE_MS: "200",
    FACTORY_RETRY_MAX_MS: "1000",
    FACTORY_REQUEST_TIMEOUT: "5",
    FACTORY_TEST_TIMEOUT: "3",
    FACTORY_REPORT_DEADLINE_SECONDS: "60",
    ...extra,
  };
}

const agentLog = () => readFileSync(path.join(stateDir, "agent.log"), "utf8");
const reportLines = () =>
  server.logLines.map((l) => JSON.parse(l)).filter((l: { msg: string }) => l.msg === "unit report");

async function credentialsOf(mac: string) {
  const r = await server.call("GET", `/api/units/${mac}`, { token: "station" });
  expect(r.status).toBe(200);
  return r.json;
}

describe("factory-agent.sh against a running server", () => {
  it("sends heartbeats with the current stage until stopped", async () => {
    const beats: ServerEvent[] = [];
    const off = server.events.subscribe((e) => {
      if (e.type === "unit") beats.push(e);
    });
    const start = await runAgent(
      ["heartbeat-start"],
      env({ FACTORY_STAGES: "installing deploying_services" }),
    );
    expect(start.code).toBe(0);
    await expect.poll(() => beats.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(
      (
        await runAgent(
          ["stage", "deploying_services"],
          env({ FACTORY_STAGES: "installing deploying_services" }),
        )
      ).code,
    ).toBe(0);
    await expect
      .poll(async () => (await server.store.getUnit(MAC))?.stage, { timeout: 10_000 })
      .toBe("deploying_services");
    const refused = await runAgent(
      ["stage", "not_a_stage"],
      env({ FACTORY_STAGES: "installing deploying_services" }),
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("not one of FACTORY_STAGES");
    expect((await runAgent(["heartbeat-stop"], env())).code).toBe(0);
    const unit = await server.store.getUnit(MAC);
    expect(unit?.status).toBe("building");
    const count = beats.length;
    await new Promise((r) => setTimeout(r, 2_500));
    expect(beats.length).toBe(count);
    off();
  }, 30_000);

  it("sends a stage change at once, not an interval later", async () => {
    const slow = env({ FACTORY_HEARTBEAT_SECONDS: "600" });
    expect((await runAgent(["heartbeat-start"], slow)).code).toBe(0);
    await expect
      .poll(async () => (await server.store.getUnit(MAC))?.status, { timeout: 10_000 })
      .toBe("building");
    expect((await runAgent(["stage", "deploying_opnsense"], slow)).code).toBe(0);
    await expect
      .poll(async () => (await server.store.getUnit(MAC))?.stage, { timeout: 10_000 })
      .toBe("deploying_opnsense");
    expect((await runAgent(["heartbeat-stop"], slow)).code).toBe(0);
  }, 30_000);

  it("builds, self-tests, isolates and reports ready once with the credentials it made", async () => {
    const dns = await startDnsServer({ "adguard.test": "10.10.20.10" });
    const hooks = path.join(stateDir, "hooks.log");
    const port = new URL(server.url).port;
    const tests = [
      `portainer http ${server.url}/healthz 200`,
      `semaphore http ${server.url}/no-such-page 2xx,404`,
      `management_vm tcp 127.0.0.1 ${port}`,
      `adguard dns adguard.test 127.0.0.1:${dns.port} 10.10.20.10`,
      `opnsense_routing route 127.0.0.1:${port}`,
      "custom cmd test -d /",
    ].join("\n");
    try {
      const result = await runAgent(
        [
          "run",
          "--",
          "bash",
          "-c",
          `"$0" stage deploying_services && sleep 1.5`,
          (await import("./agent-files")).agentScriptPath(),
        ],
        env({
          FACTORY_TESTS: tests,
          // The agent's own stages (self_test, isolation, reporting) need not be listed.
          FACTORY_STAGES: "deploying_services",
          FACTORY_ISOLATE_CMD: `echo isolate >> ${hooks}`,
          FACTORY_ISOLATION_CHECK_CMD: `echo check >> ${hooks}`,
          FACTORY_RESTORE_WAN_CMD: `echo restore >> ${hooks}`,
        }),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(dns.queries).toEqual(["adguard.test"]);
    } finally {
      await dns.close();
    }
    expect(readFileSync(hooks, "utf8")).toBe("isolate\ncheck\n");
    const unit = await credentialsOf(MAC);
    expectReadyAllPassed(unit);
    expect(unit.serial).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const words = expectWordListPasswords(unit);
    expect(words.admin, unit.admin_password).toHaveLength(4);
    expect(words.services, unit.services_password).toHaveLength(4);
    expect(unit.admin_password).not.toBe(unit.services_password);
    // Passwords never reach the agent's log; the credentials file is gone once delivered.
    const log = agentLog();
    expect(log).not.toContain(unit.admin_password);
    expect(log).not.toContain(unit.services_password);
    expect(log).not.toContain(TOKENS.unit);
    expect(existsSync(path.join(stateDir, "credentials"))).toBe(false);
    expect(existsSync(path.join(stateDir, "report.delivered", "body.json"))).toBe(false);
    expect(reportLines().map((l: { created: boolean }) => l.created)).toEqual([true]);
    // A second run does not report again.
    const again = await runAgent(["run"], env());
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already reported");
    expect(reportLines()).toHaveLength(1);
  }, 60_000);

  it("lands the success report once when the first POST times out", async () => {
    const proxy = await startDelayingProxy(server.port, 1);
    try {
      const result = await runAgent(
        ["run"],
        env({ FACTORY_SERVER: proxy.url, FACTORY_REQUEST_TIMEOUT: "2" }),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(proxy.held).toBe(1);
      expect(proxy.requests.filter((r) => r.startsWith("POST /api/units ")).length).toBe(2);
    } finally {
      await proxy.close();
    }
    expect(agentLog()).toMatch(/report attempt 1 failed: curl exit 28/);
    expect(agentLog()).toContain("already recorded");
    expect(reportLines().map((l: { created: boolean }) => l.created)).toEqual([true, false]);
    expect((await credentialsOf(MAC)).status).toBe("ready");
  }, 60_000);

  it("reports a failed self-test with the logs, hostile content intact, and restores the WAN", async () => {
    const bootstrapLog = path.join(stateDir, "bootstrap.log");
    const guestLog = path.join(stateDir, "guest-setup.log");
    writeFileSync(bootstrapLog, `starting bootstrap\n${HOSTILE}`);
    writeFileSync(guestLog, Buffer.concat([Buffer.from("guest: "), Buffer.from(HOSTILE)]));
    const hooks = path.join(stateDir, "hooks.log");
    const result = await runAgent(
      ["run"],
      env({
        FACTORY_TESTS: `web http ${server.url}/healthz 200\nadguard tcp 127.0.0.1 1`,
        FACTORY_LOGS: `${bootstrapLog} ${guestLog} /nonexistent/guest.log`,
        FACTORY_ISOLATE_CMD: `echo isolate >> ${hooks}`,
        FACTORY_RESTORE_WAN_CMD: `echo restore >> ${hooks}`,
      }),
    );
    expect(result.code, result.stderr).toBe(1);
    expect(readFileSync(hooks, "utf8")).toBe("restore\n");
    const unit = (await server.call("GET", `/api/units/${MAC}`, { token: "operator" })).json;
    expect(unit.status).toBe("failed");
    expect(unit.failed_tests).toEqual(["adguard"]);
    expect(unit.test_results).toEqual({ web: "pass", adguard: "fail" });
    const stored = await server.store.getUnit(MAC);
    expect(stored?.errorLog).toContain("--- adguard (adguard tcp 127.0.0.1 1) failed:");
    expect(stored?.errorLog).toContain("tcp 127.0.0.1:1 closed or filtered");
    expect(stored?.diagnosticData).toContain(
      `===== ${bootstrapLog} (last 65536 bytes) =====\nstarting bootstrap\n${HOSTILE}\n`,
    );
    expect(stored?.diagnosticData).toContain(`guest: ${HOSTILE}`);
    expect(stored?.diagnosticData).toContain("===== /nonexistent/guest.log =====\n(missing)");
    expect(stored?.serial).toMatch(/^[0-9a-f-]{36}$/);
  }, 60_000);

  it("cuts diagnostics from the front until the failure report fits the server's limit", async () => {
    const bigLog = path.join(stateDir, "bootstrap.log");
    const line = `${"\x01".repeat(20)} step done "ok" \\ é\n`;
    writeFileSync(bigLog, `${"early line\n".repeat(10)}${line.repeat(6_000)}the last line\n`);
    const result = await runAgent(
      ["report-failure", "--failed-tests", "homer"],
      env({ FACTORY_LOGS: bigLog, FACTORY_LOG_TAIL_BYTES: "1000000", FACTORY_MAX_BODY_BYTES: "300000" }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/failure report of \d+ bytes is too large/);
    expect(readFileSync(path.join(stateDir, "report.delivered", "http-status"), "utf8")).toBe("201\n");
    const stored = await server.store.getUnit(MAC);
    expect(stored?.diagnosticData).toMatch(/^\(first \d+ bytes cut to fit the report\)\n/);
    expect(stored?.diagnosticData).toContain(`${line}the last line\n`);
    expect(stored?.diagnosticData).not.toContain("early line");
  }, 60_000);

  it("reports failure when the isolation check fails, after restoring the WAN", async () => {
    const hooks = path.join(stateDir, "hooks.log");
    const result = await runAgent(
      ["run"],
      env({
        FACTORY_ISOLATE_CMD: `echo isolate >> ${hooks}`,
        FACTORY_ISOLATION_CHECK_CMD: `echo 'proxmox still answers on 192.168.100.57'; exit 3`,
        FACTORY_RESTORE_WAN_CMD: `echo restore >> ${hooks}`,
      }),
    );
    expect(result.code, result.stderr).toBe(1);
    expect(readFileSync(hooks, "utf8")).toBe("isolate\nrestore\n");
    const stored = await server.store.getUnit(MAC);
    expect(stored?.status).toBe("failed");
    expect(stored?.failedTests).toEqual(["isolation"]);
    expect(stored?.errorLog).toContain("isolation_check hook failed (exit 3)");
    expect(stored?.errorLog).toContain("proxmox still answers on 192.168.100.57");
  }, 60_000);

  it("keeps retrying while the server is down and lands the report after it comes back", async () => {
    const startAgain = serverOnOneDatabase(path.join(stateDir, "server.db"));
    await server.stop();
    server = await startAgain();
    expect((await runAgent(["heartbeat"], env())).code).toBe(0);
    // The bootstrap makes the credentials at its start, while the server is still there.
    expect((await runAgent(["credentials"], env())).code).toBe(0);
    await server.stop();
    const running = runAgent(["run"], env(), { timeoutMs: 60_000 });
    // The server comes back once the agent has failed twice (not after a fixed wait a busy machine
    // can outrun before the second attempt).
    await expect
      .poll(() => existsSync(path.join(stateDir, "report.pending")), { timeout: 10_000 })
      .toBe(true);
    await expect
      .poll(() => /report attempt [2-9] failed: curl exit 7/.test(agentLog()), { timeout: 30_000 })
      .toBe(true);
    server = await startAgain();
    const result = await running;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/report attempt [2-9] failed: curl exit 7/);
    expect((await credentialsOf(MAC)).status).toBe("ready");
    expect(reportLines().filter((l: { created: boolean }) => l.created)).toHaveLength(1);
  }, 60_000);

  it("delivers a report left pending by a killed agent with the same idempotency key", async () => {
    expect((await runAgent(["credentials"], env())).code).toBe(0);
    await server.stop();
    let pid = 0;
    const killed = runAgent(["run"], env({ FACTORY_SERVER: "http://127.0.0.1:1" }), {
      onSpawn: (p) => {
        pid = p;
      },
    });
    await expect
      .poll(() => existsSync(path.join(stateDir, "report.pending", "key")), { timeout: 10_000 })
      .toBe(true);
    process.kill(pid, "SIGKILL");
    await killed;
    const key = readFileSync(path.join(stateDir, "report.pending", "key"), "utf8").trim();
    const body = readFileSync(path.join(stateDir, "report.pending", "body.json"), "utf8");
    server = await startTestServer();
    // The body that was stored is the body that lands (with its key): the server sees it once.
    const direct = await server.call("POST", "/api/units", {
      token: "unit",
      raw: body,
      headers: { "content-type": "application/json", "idempotency-key": key },
    });
    expect(direct.status).toBe(201);
    const result = await runAgent(["deliver"], env());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("ready report delivered (HTTP 200, already recorded)");
    expect(readFileSync(path.join(stateDir, "report.delivered", "key"), "utf8").trim()).toBe(key);
  }, 60_000);

  it("keeps a report the server refuses and says why", async () => {
    await server.call("POST", "/api/heartbeat", {
      token: "unit",
      body: { mac_wan: MAC, status: "building", timestamp: new Date().toISOString() },
    });
    await server.store.recordReport({ mac: MAC, status: "failed", failedTests: ["homer"] });
    const result = await runAgent(["report-failure", "--failed-tests", "portainer"], env());
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/refused the failed report \(HTTP 409\): .*failed/);
    expect(existsSync(path.join(stateDir, "report.rejected", "body.json"))).toBe(true);
  }, 30_000);
});

describe("factory-agent.sh on its own", () => {
  it("makes phonetic passwords from the served word list with every letter form", async () => {
    const words = path.join(stateDir, "words.txt");
    writeFileSync(words, `${passwordWordList().join("\n")}\n`);
    const forms = new Set<string>();
    const list = new Set(passwordWordList());
    // Every form shows up within a few passwords, but by chance not always within eight (about one
    // run in 120 lacked a "4" or a "0"): after eight, draw on until all have shown, 32 at most.
    const wanted = ["4", "3", "1", "0", "5", "L"];
    for (let i = 0; i < 32 && (i < 8 || !wanted.every((ch) => forms.has(ch))); i++) {
      const r = await runAgent(["password"], { FACTORY_STATE_DIR: stateDir, FACTORY_WORDS_FILE: words });
      expect(r.code, r.stderr).toBe(0);
      const pw = r.stdout.trim();
      const decoded = passwordWords(pw);
      expect(decoded, pw).toHaveLength(4);
      for (const w of decoded!) expect(list.has(w)).toBe(true);
      for (const ch of pw.replaceAll("-", "")) forms.add(ch);
    }
    for (const ch of wanted) expect(forms.has(ch), ch).toBe(true);
    expect(forms.has("l")).toBe(false);
    expect(forms.has("O")).toBe(false);
  }, 60_000);

  it("refuses a word list that cannot reach the required entropy", async () => {
    const words = path.join(stateDir, "words.txt");
    writeFileSync(words, "ab\ncd\n");
    const r = await runAgent(["password"], { FACTORY_STATE_DIR: stateDir, FACTORY_WORDS_FILE: words });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot reach 64 bits");
  }, 30_000);

  it("resolves through a given DNS server over TCP and checks the address", async () => {
    const dns = await startDnsServer({ "homer.test": "10.10.20.10" });
    try {
      const run = (t: string) =>
        runAgent(["selftest"], { FACTORY_STATE_DIR: stateDir, FACTORY_DNS_TOOL: "bash", FACTORY_TESTS: t });
      const ok = await run(`dns dns homer.test 127.0.0.1:${dns.port} 10.10.20.10`);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe("dns pass\n");
      const wrong = await run(`dns dns homer.test 127.0.0.1:${dns.port} 10.10.20.99`);
      expect(wrong.code).toBe(1);
      const missing = await run(`dns dns nothing.test 127.0.0.1:${dns.port}`);
      expect(missing.code).toBe(1);
      expect(readFileSync(path.join(stateDir, "test-output"), "utf8")).toContain("DNS rcode 3");
      expect(dns.queries).toEqual(["homer.test", "homer.test", "nothing.test"]);
    } finally {
      await dns.close();
    }
  }, 30_000);

  it("refuses a bad configuration with a clear message and exit 2", async () => {
    const conf = path.join(stateDir, "agent.conf");
    writeFileSync(conf, "FACTORY_SERVER=http://192.168.100.250:8080\ntest portainer ftp x\n");
    const r = await runAgent(["check-config"], { FACTORY_STATE_DIR: stateDir, FACTORY_AGENT_CONFIG: conf });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("test portainer: unknown kind 'ftp'");
    writeFileSync(conf, "FACTORY_SERVER=http://192.168.100.250:8080\nFACTORY_HEARTBEAT_SECONDS=soon\n");
    const r2 = await runAgent(["check-config"], { FACTORY_STATE_DIR: stateDir, FACTORY_AGENT_CONFIG: conf });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain("FACTORY_HEARTBEAT_SECONDS must be a positive integer");
  }, 30_000);
});
