import { appendFileSync } from "node:fs";
import {
  createUnitAgent,
  isAbortError,
  type Logger,
  noopLogger,
  type SelfTest,
  sleep,
  tailFile,
} from "@factory/core";
import { BUILD_STAGES, type DemoTiming } from "./timing";
import { UNIT_SERVICES, type UnitService, type UnitServices } from "./unit-services";
import { createUnitSystem, guestSetupLines, type UnitSystem } from "./unit-shell";

/** How a simulated unit's build ends: ready, a failed self-test, or silence mid-build. */
export type UnitFate =
  | { kind: "ready" }
  | { kind: "fail"; test: UnitService | "isolation" }
  | { kind: "stuck"; stage: (typeof BUILD_STAGES)[number]["stage"] };

export interface SimulatedUnitOptions {
  mac: string;
  /** The build port (1..20) the unit's WAN port is plugged into. */
  port: string;
  /** The WAN address the factory DHCP gave it (shown in its diagnostics). */
  ip: string;
  /** Production server base URL. */
  server: string;
  /** A `unit` role token. */
  token: string;
  /** The agent's state directory (credentials and the pending report, 0600). */
  stateDir: string;
  timing: DemoTiming;
  fate: UnitFate;
  services: UnitServices;
  /**
   * Share of its build stages (0..1) already behind the unit when it is plugged in (a floor met
   * mid-shift). Those stages are not replayed: its first heartbeat carries the stage it is in,
   * and only the rest of that stage is waited for. Default 0 (a fresh unit).
   */
  headStart?: number;
  /**
   * The unit's system as its shell shows it (the debug station's SSH commands), kept up to date
   * by the run: stage, OPNsense up, services started (or failed), hung, WAN address removed.
   * Default: a private one (its files are written all the same).
   */
  system?: UnitSystem;
  /** Stage duration jitter source in [0, 1). */
  random?: () => number;
  logger?: Logger;
  /** Told the unit's serial once its bootstrap made it. */
  onSerial?: (serial: string) => void;
  /** Fires when the unit is unplugged or the demo stops. */
  signal: AbortSignal;
}

export type UnitOutcome = "ready" | "failed" | "stuck" | "stopped";

/**
 * Runs one simulated PrivateBox unit with core's unit agent against the server's real HTTP API:
 * heartbeats every (scaled) minute through the seed's stages, HTTP self-tests against its
 * simulated services, the isolation step, then one idempotent success or failure report (with
 * the bootstrap log and the failed services' status as diagnostics). A `stuck` unit goes silent
 * mid-build and never reports. Resolves when the report was delivered, or `stuck`/`stopped`
 * once `signal` fires.
 */
export async function runSimulatedUnit(o: SimulatedUnitOptions): Promise<UnitOutcome> {
  const log = o.logger ?? noopLogger;
  const random = o.random ?? Math.random;
  const agent = createUnitAgent({
    server: o.server,
    token: o.token,
    mac: o.mac,
    stateDir: o.stateDir,
    switchPort: o.port,
    heartbeatIntervalMs: o.timing.heartbeatMs,
    heartbeatTimeoutMs: Math.max(1000, Math.min(10_000, o.timing.heartbeatMs)),
    requestTimeoutMs: 10_000,
    retry: { baseMs: 250, maxMs: 5_000, deadlineMs: 10 * 60_000 },
    logger: log,
  });
  const system = o.system ?? createUnitSystem({ mac: o.mac, ip: o.ip, stateDir: o.stateDir });
  const bootLog = system.files.bootstrap;
  const write = (line: string) => appendFileSync(bootLog, `${new Date().toISOString()} ${line}\n`);
  const guest = (line: string) =>
    appendFileSync(system.files.guestSetup, `${new Date().toISOString()} ${line}\n`);
  const creds = agent.credentials();
  o.onSerial?.(creds.serial);
  const failing: UnitService[] = o.fate.kind === "fail" && o.fate.test !== "isolation" ? [o.fate.test] : [];
  o.services.set(o.mac, failing);
  system.failing = failing;
  /** What a finished stage leaves behind on the unit. */
  const finished = (stage: string) => {
    if (stage === "deploying_opnsense") system.opnsenseAt = new Date();
    if (stage === "deploying_services") {
      system.servicesAt = new Date();
      for (const line of guestSetupLines(system)) guest(line);
    }
  };
  write(`bootstrap started on factory network (switch port ${o.port}), serial ${creds.serial}`);

  let factorySeconds = 0;
  const durations = BUILD_STAGES.map(({ seconds }) => seconds * (0.7 + 0.6 * random()));
  let behind = Math.min(1, Math.max(0, o.headStart ?? 0)) * durations.reduce((a, b) => a + b, 0);
  const plan = BUILD_STAGES.map(({ stage }, i) => {
    const took = durations[i]!;
    const skipped = Math.min(took, behind);
    behind -= skipped;
    const stuckHere = o.fate.kind === "stuck" && o.fate.stage === stage;
    // A unit that hangs in this stage has not hung yet when it is plugged in.
    return { stage, took, left: stuckHere ? Math.max(took - skipped, took / 4) : took - skipped };
  });
  agent.setStage(plan.find((p) => p.left > 0)?.stage ?? "self_test");
  const beats = agent.startHeartbeats({ signal: o.signal });
  try {
    for (const { stage, took, left } of plan) {
      factorySeconds += took;
      write(`stage ${stage}`);
      system.stage = stage;
      if (stage === "deploying_services")
        guest("guest setup: waiting for the management VM (10.10.20.10) to boot");
      if (left <= 0) {
        finished(stage); // done before the unit came into view
        continue;
      }
      agent.setStage(stage);
      if (o.fate.kind === "stuck" && o.fate.stage === stage) {
        await sleep(o.timing.scale(left / 2), o.signal);
        await beats.stop();
        // Its last heartbeat names the stage it hangs in, even if stopping cut one in flight.
        await agent.heartbeat({ signal: o.signal }).catch(() => false);
        system.hung = true;
        write(`${stage}: no progress (hung waiting for the VM to boot)`);
        await new Promise<void>((resolve) => {
          if (o.signal.aborted) resolve();
          else o.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        return "stuck";
      }
      await sleep(o.timing.scale(left), o.signal);
      finished(stage);
    }

    agent.setStage("self_test");
    system.stage = "self_test";
    const tests: SelfTest[] = UNIT_SERVICES.map((name) => ({
      name,
      kind: "http",
      url: `${o.services.urlFor(o.mac)}/${name}`,
      status: "200",
    }));
    const results = await agent.runSelfTests(tests, { signal: o.signal, timeoutMs: o.timing.selfTestMs });
    const testResults: Record<string, "pass" | "fail"> = {};
    for (const r of results) testResults[r.name] = r.passed ? "pass" : "fail";
    for (const r of results) write(`self-test ${r.name}: ${r.passed ? "pass" : `FAIL ${r.output.trim()}`}`);
    let ok = results.every((r) => r.passed);
    if (ok) {
      agent.setStage("isolation");
      system.stage = "isolation";
      await sleep(o.timing.scale(20), o.signal);
      ok = !(o.fate.kind === "fail" && o.fate.test === "isolation");
      testResults.isolation = ok ? "pass" : "fail";
      // Isolated: Proxmox drops its WAN address (reachable only behind OPNsense from now on).
      if (ok) system.wan = false;
      write(
        ok
          ? "isolation: Proxmox WAN address removed; reachable only at 10.10.20.20"
          : "isolation: Proxmox still answers on its WAN address; WAN address restored for debugging",
      );
    }
    agent.setStage("reporting");
    system.stage = "reporting";
    await beats.stop();
    factorySeconds += 60;
    const common = {
      buildTime: new Date(),
      buildDurationSeconds: Math.round(factorySeconds),
      testResults,
    };
    if (ok) {
      await agent.reportSuccess({ ...creds, ...common }, { signal: o.signal });
      return "ready";
    }
    const failedTests = Object.entries(testResults)
      .filter(([, v]) => v === "fail")
      .map(([k]) => k);
    const errors = results.filter((r) => !r.passed).map((r) => `--- ${r.name} failed:\n${r.output}`);
    await agent.reportFailure(
      {
        serial: creds.serial,
        failedTests,
        ...common,
        errorLog: `${errors.join("\n")}${testResults.isolation === "fail" ? "--- isolation failed: Proxmox reachable on its WAN address\n" : ""}`,
        diagnosticData: await diagnostics(bootLog, failedTests, o.ip),
      },
      { signal: o.signal },
    );
    return "failed";
  } catch (error) {
    if (isAbortError(error) || o.signal.aborted) return "stopped";
    throw error;
  } finally {
    await beats.stop();
    o.services.remove(o.mac);
  }
}

/** The seed's diagnostic sections for a simulated unit: its bootstrap log and its services' state. */
async function diagnostics(bootLog: string, failed: readonly string[], ip: string): Promise<string> {
  const status = UNIT_SERVICES.map((s) =>
    failed.includes(s)
      ? `× ${s}.service - ${s}\n     Active: failed (Result: exit-code)\n    Process: ExecStart=/usr/bin/docker start -a ${s} (code=exited, status=1/FAILURE)`
      : `● ${s}.service - ${s}\n     Active: active (running)`,
  ).join("\n");
  return [
    `===== /tmp/privatebox-bootstrap.log (simulated unit) =====\n${(await tailFile(bootLog, 65_536)) ?? "(missing)"}`,
    `===== systemctl status (simulated unit) =====\n${status}`,
    `===== ip addr show (simulated unit) =====\n2: vmbr0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    inet ${ip}/24 scope global dynamic vmbr0`,
  ].join("\n\n");
}
