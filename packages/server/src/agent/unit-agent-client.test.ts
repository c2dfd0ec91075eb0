import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  createLogger,
  createUnitAgent,
  isFactoryError,
  passwordWordList,
  passwordWords,
  type UnitAgentOptions,
} from "@factory/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServerEvent } from "../events";
import { startTestServer, type TestServer, TOKENS } from "../testing/harness";
import { serverOnOneDatabase } from "../testing/one-database-server";
import { agentStateDir, runAgent, startDelayingProxy, startDnsServer } from "./agent-test-support";
import { expectReadyAllPassed, expectWordListPasswords } from "./ready-unit";

const MAC = "02:fa:c7:00:00:02";
const HOSTILE =
  'quote " backslash \\ \\n literal, tab\t, cr\r, esc \x1b[31m, nul \x00 here, unicode é ✓ 🙂, ' +
  'shell $(reboot) `id`, printf %s %%, ampersand &, json {"a":[1]}\nlast \x01\x1f';

let server: TestServer;
let stateDir: string;
let logText: string[];

beforeEach(async () => {
  server = await startTestServer({ stuckAfterMs: 3_600_000 });
  stateDir = agentStateDir();
  logText = [];
});

afterEach(async () => {
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

function agent(extra: Partial<UnitAgentOptions> = {}) {
  return createUnitAgent({
    server: server.url,
    token: TOKENS.unit,
    mac: MAC,
    stateDir,
    heartbeatIntervalMs: 300,
    requestTimeoutMs: 5_000,
    retry: { baseMs: 100, maxMs: 500, deadlineMs: 60_000 },
    logger: createLogger({
      level: "debug",
      sink: (r) => logText.push(`${r.level} ${r.message} ${JSON.stringify(r.fields)}`),
    }),
    ...extra,
  });
}

const reportLines = () =>
  server.logLines.map((l) => JSON.parse(l)).filter((l: { msg: string }) => l.msg === "unit report");

describe("createUnitAgent against a running server", { timeout: 30_000 }, () => {
  it("sends heartbeats with the stage, at once on a stage change, until stopped", async () => {
    const beats: ServerEvent[] = [];
    const off = server.events.subscribe((e) => {
      if (e.type === "unit") beats.push(e);
    });
    const a = agent({ heartbeatIntervalMs: 60_000, stages: ["installing", "deploying_services"] });
    a.setStage("installing");
    const loop = a.startHeartbeats();
    await expect.poll(() => beats.length, { timeout: 5_000 }).toBe(1);
    a.setStage("deploying_services");
    await expect.poll(() => beats.length, { timeout: 5_000 }).toBe(2);
    expect(beats[1]).toMatchObject({ mac: MAC, status: "building", stage: "deploying_services" });
    expect(() => a.setStage("nope")).toThrow(/not one of/);
    await loop.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(beats).toHaveLength(2);
    off();
  });

  it("stops heartbeating when its signal fires", async () => {
    const controller = new AbortController();
    const a = agent();
    const loop = a.startHeartbeats({ signal: controller.signal });
    await expect
      .poll(async () => (await server.store.getUnit(MAC))?.lastHeartbeat, { timeout: 5_000 })
      .toBeDefined();
    controller.abort();
    await loop.stop();
    const last = (await server.store.getUnit(MAC))?.lastHeartbeat?.getTime();
    await new Promise((r) => setTimeout(r, 800));
    expect((await server.store.getUnit(MAC))?.lastHeartbeat?.getTime()).toBe(last);
  });

  it("builds, self-tests, isolates and reports ready once", async () => {
    const dns = await startDnsServer({ "adguard.test": "10.10.20.10" });
    const port = Number(new URL(server.url).port);
    const calls: string[] = [];
    // The agent's own stages (self_test, isolation, reporting) need not be listed.
    const a = agent({ stages: ["deploying_services"] });
    try {
      const receipt = await a.run({
        build: async () => {
          a.setStage("deploying_services");
          calls.push("build");
        },
        tests: [
          { name: "portainer", kind: "http", url: `${server.url}/healthz` },
          { name: "semaphore", kind: "http", url: `${server.url}/nothing`, status: "2xx,404" },
          { name: "management_vm", kind: "tcp", host: "127.0.0.1", port },
          {
            name: "adguard",
            kind: "dns",
            query: "adguard.test",
            server: `127.0.0.1:${dns.port}`,
            expect: "10.10.20.10",
          },
          { name: "opnsense_routing", kind: "route", target: `127.0.0.1:${port}` },
          { name: "custom", kind: "cmd", command: "test -d /" },
        ],
        isolate: async () => {
          calls.push("isolate");
        },
        isolationCheck: async () => {
          calls.push("check");
        },
        restoreWan: async () => {
          calls.push("restore");
        },
      });
      expect(receipt).toMatchObject({ status: "ready", created: true, httpStatus: 201 });
      expect(dns.queries).toContain("adguard.test");
    } finally {
      await dns.close();
    }
    expect(calls).toEqual(["build", "isolate", "check"]);
    const unit = (await server.call("GET", `/api/units/${MAC}`, { token: "station" })).json;
    expectReadyAllPassed(unit);
    expectWordListPasswords(unit);
    const logs = logText.join("\n");
    expect(logs).not.toContain(unit.admin_password);
    expect(logs).not.toContain(TOKENS.unit);
    expect(existsSync(path.join(stateDir, "credentials"))).toBe(false);
    expect(await agent().run({})).toEqual({ status: "ready", alreadyReported: true });
    expect(reportLines()).toHaveLength(1);
  });

  it("lands the success report once when the first POST times out", async () => {
    const proxy = await startDelayingProxy(server.port, 1);
    try {
      const a = agent({ server: proxy.url, requestTimeoutMs: 1_500 });
      const receipt = await a.reportSuccess({ ...a.credentials(), testResults: { portainer: "pass" } });
      expect(receipt).toMatchObject({ status: "ready", created: false, httpStatus: 200 });
      expect(proxy.held).toBe(1);
    } finally {
      await proxy.close();
    }
    expect(reportLines().map((l: { created: boolean }) => l.created)).toEqual([true, false]);
    expect(logText.some((l) => l.includes("report attempt failed") && l.includes("TIMEOUT") === false)).toBe(
      true,
    );
  });

  it("reports a failure with the logs, hostile content intact, after restoring the WAN", async () => {
    const bootstrapLog = path.join(stateDir, "bootstrap.log");
    writeFileSync(bootstrapLog, `starting\n${HOSTILE}`);
    const calls: string[] = [];
    const receipt = await agent().run({
      tests: [{ name: "adguard", kind: "tcp", host: "127.0.0.1", port: 1 }],
      isolate: async () => {
        calls.push("isolate");
      },
      restoreWan: async () => {
        calls.push("restore");
      },
      logs: [bootstrapLog, "/nonexistent/guest-setup.log"],
    });
    expect(receipt).toMatchObject({ status: "failed", created: true });
    expect(calls).toEqual(["restore"]);
    const unit = await server.store.getUnit(MAC);
    expect(unit?.status).toBe("failed");
    expect(unit?.failedTests).toEqual(["adguard"]);
    expect(unit?.errorLog).toContain("--- adguard failed:\ntcp 127.0.0.1:1 closed or filtered");
    expect(unit?.errorLog).toContain(HOSTILE);
    expect(unit?.diagnosticData).toContain(
      `===== ${bootstrapLog} (last 65536 bytes) =====\nstarting\n${HOSTILE}\n`,
    );
    expect(unit?.diagnosticData).toContain("===== /nonexistent/guest-setup.log =====\n(missing)");
  });

  it("cuts diagnostics from the front until the failure report fits", async () => {
    const line = `${"\x01".repeat(20)} step done "ok" \\ é\n`;
    const diagnosticData = `${"early line\n".repeat(10)}${line.repeat(6_000)}the last line\n`;
    const receipt = await agent({ maxBodyBytes: 300_000 }).reportFailure({
      failedTests: ["homer"],
      diagnosticData,
    });
    expect(receipt).toMatchObject({ status: "failed", created: true });
    const stored = await server.store.getUnit(MAC);
    expect(stored?.diagnosticData).toMatch(/^\(first \d+ characters cut to fit the report\)\n/);
    expect(stored?.diagnosticData).toContain(`${line}the last line\n`);
    expect(stored?.diagnosticData).not.toContain("early line");
    expect(logText.some((l) => l.includes("failure report too large"))).toBe(true);
  });

  it("keeps retrying while the server is down and lands the report after it comes back", async () => {
    const startAgain = serverOnOneDatabase(path.join(stateDir, "server.db"));
    await server.stop();
    server = await startAgain();
    const a = agent();
    expect(await a.heartbeat()).toBe(true);
    const creds = a.credentials();
    await server.stop();
    const pending = a.reportSuccess({ ...creds, testResults: {} });
    // The server comes back once the agent has failed twice (not after a fixed wait a busy machine
    // can outrun before the second attempt).
    const failed = () => logText.filter((l) => l.includes("report attempt failed")).length;
    await expect.poll(failed, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    expect(a.store.pending()).toBeDefined();
    server = await startAgain();
    expect(await pending).toMatchObject({ status: "ready", created: true });
    expect(failed()).toBeGreaterThanOrEqual(2);
    expect((await server.store.getUnit(MAC))?.status).toBe("ready");
  });

  it("leaves the report on disk when cancelled and delivers it later with the same key", async () => {
    await server.stop();
    const controller = new AbortController();
    const a = agent({ server: "http://127.0.0.1:1" });
    const attempt = a.reportFailure({ failedTests: ["homer"] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    await expect(attempt).rejects.toSatisfy((e) => isFactoryError(e, "ABORTED"));
    const stored = a.store.pending();
    expect(stored?.status).toBe("failed");
    server = await startTestServer();
    const receipt = await agent().deliverPending();
    expect(receipt).toMatchObject({ status: "failed", created: true, idempotencyKey: stored?.key });
    expect(await agent().deliverPending()).toBeUndefined();
  });

  it("delivers a report factory-agent.sh left pending, with its key", async () => {
    // The shell agent stores its report, then dies before delivering it.
    const words = path.join(stateDir, "words.txt");
    writeFileSync(words, `${passwordWordList().join("\n")}\n`);
    let pid = 0;
    const shell = runAgent(
      ["report-success"],
      {
        FACTORY_SERVER: "http://127.0.0.1:1",
        FACTORY_TOKEN: TOKENS.unit,
        FACTORY_STATE_DIR: stateDir,
        FACTORY_MAC: MAC,
        FACTORY_WORDS_FILE: words,
      },
      { onSpawn: (p) => (pid = p) },
    );
    await expect
      .poll(() => existsSync(path.join(stateDir, "report.pending", "key")), { timeout: 10_000 })
      .toBe(true);
    process.kill(pid, "SIGKILL");
    await shell;
    const key = readFileSync(path.join(stateDir, "report.pending", "key"), "utf8").trim();
    const receipt = await agent().deliverPending();
    expect(receipt).toMatchObject({ status: "ready", created: true, idempotencyKey: key });
    const unit = (await server.call("GET", `/api/units/${MAC}`, { token: "station" })).json;
    expect(passwordWords(unit.admin_password)).toHaveLength(4);
  });

  it("keeps a report the server refuses and says why", async () => {
    await server.call("POST", "/api/heartbeat", {
      token: "unit",
      body: { mac_wan: MAC, status: "building", timestamp: new Date().toISOString() },
    });
    await server.store.recordReport({ mac: MAC, status: "failed", failedTests: ["homer"] });
    const error = await agent()
      .reportFailure({ failedTests: ["portainer"] })
      .catch((e: unknown) => e);
    expect(isFactoryError(error, "REPORT_REFUSED")).toBe(true);
    expect(String((error as Error).message)).toMatch(/HTTP 409/);
    expect(existsSync(path.join(stateDir, "report.rejected", "body.json"))).toBe(true);
  });

  it("refuses bad input before anything is stored", async () => {
    const a = agent();
    await expect(
      a.reportSuccess({ serial: "s 1", adminPassword: "x", servicesPassword: "y" }),
    ).rejects.toSatisfy((e) => isFactoryError(e, "INVALID_ARGUMENT"));
    await expect(
      a.reportSuccess({
        serial: "s1",
        adminPassword: "x",
        servicesPassword: "y",
        testResults: { homer: "fail" },
      }),
    ).rejects.toSatisfy((e) => isFactoryError(e, "INVALID_ARGUMENT"));
    expect(a.store.pending()).toBeUndefined();
    expect(() => agent({ mac: "not-a-mac" })).toThrow(/not a MAC/);
  });
});
