import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Logger, noopLogger, type SwitchDriver } from "@factory/core";
import { createProcurveSwitch } from "@factory/driver-procurve";
import { type ProcurveSimulator, startProcurveSimulator } from "@factory/driver-procurve/simulator";
import { createFilePrinter } from "@factory/printers";
import { generateMasterKey, type RunningServer, startServer, type TokenConfig } from "@factory/server";
import ssh2 from "ssh2";
import { type BuildFloor, type BuildFloorOptions, startBuildFloor } from "./build-floor";
import { demoRoutes } from "./demo-routes";
import { type EspLine, startEspLine } from "./esp-line";
import { freeUdpPort } from "./free-port";
import { DEFAULT_SPEED, demoTiming } from "./timing";
import { startUnitServices, type UnitServices } from "./unit-services";

export interface DemoOptions {
  /**
   * State directory: SQLite database (fresh each start), units' state, `labels/` (PDF files),
   * `esp-station/` (the ESP station's daily records CSV and batch reports).
   */
  dir: string;
  /** HTTP port; 0 picks a free one (default 0). */
  port?: number;
  /** Address to listen on (default 127.0.0.1: the demo's tokens are printed on screen). */
  host?: string;
  /** Simulated appliance units on build ports 1..N (default 20). */
  units?: number;
  /** Speed-up of the factory's clock (default 10: a build takes 1–2 minutes). */
  speed?: number;
  /** Ports of the simulated ESP flashing station (default 4; 0 runs none). */
  espPorts?: number;
  /** How each unit's build ends (tests); default a few failures and one stuck unit. */
  fate?: BuildFloorOptions["fate"];
  /** How far along its build each first-round unit is (tests); default the floor met mid-shift. */
  headStart?: BuildFloorOptions["headStart"];
  /** Randomness of durations and faults (default Math.random). */
  random?: () => number;
  logger?: Logger;
}

/** The generated bearer tokens of this demo run, one per role. */
export interface DemoTokens {
  unit: string;
  station: string;
  operator: string;
  admin: string;
}

export interface RunningDemo {
  url: string;
  dir: string;
  /** Where label PDFs are written. */
  labelsDir: string;
  /** Where the ESP station writes its daily records CSV and batch reports (when it runs). */
  recordsDir?: string;
  tokens: DemoTokens;
  /** Pages to open (the demo page carries the operator token in its fragment). */
  links: { demo: string; dashboard: string; labelStation: string; debugStation: string; boardLine: string };
  server: RunningServer;
  switchSimulator: ProcurveSimulator;
  floor: BuildFloor;
  esp?: EspLine;
  /** Stops units (and their SSH servers), flashing station, label and debug stations, switch and server, in that order. */
  close(): Promise<void>;
}

const LABEL_PORT = "21";
const DEBUG_PORT = "22";
/** The account the debug station logs in with on the units (Proxmox's root). */
const UNIT_SSH_USER = "root";
const COMMUNITY = "factory-demo";

/**
 * Runs the whole virtual factory in this process: the production server on a fresh SQLite
 * database, a simulated ProCurve 2810 (real SNMP and link traps on loopback UDP) watched by the
 * server's label station (port 21, labels as PDF files) and debug station (port 22, logs over
 * SSH), simulated appliance units building on ports 1..N with core's unit agent over HTTP (each
 * answering SSH on its own loopback port, which it tells the station's contact book), and an ESP
 * flashing station on simulated boards (records CSV and batch reports in `<dir>/esp-station`).
 *
 * @example
 * const demo = await startDemo({ dir: ".factory/demo", port: 8080 });
 * console.log(demo.links.demo);
 * await demo.close();
 */
export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const log = o.logger ?? noopLogger;
  const timing = demoTiming(o.speed ?? DEFAULT_SPEED);
  const units = o.units ?? 20;
  const dir = path.resolve(o.dir);
  const labelsDir = path.join(dir, "labels");
  const unitsDir = path.join(dir, "units");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A fresh factory each start: no database, no unit state from an earlier run.
  for (const f of ["factory.db", "factory.db-wal", "factory.db-shm", "factory.db-journal"])
    rmSync(path.join(dir, f), { force: true });
  rmSync(unitsDir, { recursive: true, force: true });
  mkdirSync(unitsDir, { recursive: true, mode: 0o700 });

  const secret = () => randomBytes(24).toString("base64url");
  const tokens: DemoTokens = { unit: secret(), station: secret(), operator: secret(), admin: secret() };
  const tokenTable: TokenConfig[] = (Object.keys(tokens) as (keyof DemoTokens)[]).map((role) => ({
    name: `demo-${role}`,
    role,
    token: tokens[role],
  }));

  const cleanup: Array<() => Promise<unknown>> = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    const trapPort = await freeUdpPort("127.0.0.1");
    const sim = await startProcurveSimulator({
      host: "127.0.0.1",
      community: COMMUNITY,
      model: "2810-24G",
      trapTargets: [{ host: "127.0.0.1", port: trapPort, community: COMMUNITY }],
      logger: log.child({ part: "switch-simulator" }),
    });
    cleanup.push(() => sim.close());
    const sw: SwitchDriver = createProcurveSwitch(
      {
        host: sim.host,
        snmp: { version: "2c", port: sim.port, community: COMMUNITY, timeoutMs: 1000, retries: 1 },
        traps: { port: trapPort, address: "127.0.0.1" },
        uplinks: ["24"],
        timing: { pollIntervalMs: 5000 },
      },
      log.child({ part: "switch" }),
    );
    cleanup.push(() => sw.close());
    const printer = createFilePrinter({
      dir: labelsDir,
      format: "pdf",
      retention: { maxFiles: 500 },
      logger: log.child({ part: "printer" }),
    });

    // The factory's SSH key, as baked into the units' image: the debug station logs in with it.
    // Read by the station at start and removed from disk right after; new at every start.
    const factoryKey = ssh2.utils.generateKeyPairSync("ed25519");
    const keyDir = path.join(dir, "debug-station");
    const keyFile = path.join(keyDir, "factory_ed25519");
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile, factoryKey.private, { mode: 0o600 });
    const dropKey = () => rmSync(keyFile, { force: true });
    cleanup.push(async () => dropKey());

    let floor: BuildFloor | undefined;
    let running: RunningServer | undefined;
    const server = await startServer({
      database: { kind: "sqlite", file: path.join(dir, "factory.db") },
      masterKey: generateMasterKey(),
      tokens: tokenTable,
      host: o.host ?? "127.0.0.1",
      port: o.port ?? 0,
      stuckAfterMs: timing.stuckAfterMs,
      stuckCheckIntervalMs: Math.max(100, Math.round(timing.stuckAfterMs / 6)),
      shutdownGraceMs: 2000,
      logger: log.child({ part: "server" }),
      stations: {
        switch: { driver: "@factory/driver-procurve", options: { host: sim.host } },
        label: {
          port: LABEL_PORT,
          printer: { driver: "@factory/printers", options: { type: "pdf", dir: labelsDir } },
          template: {
            title: "PrivateBox",
            fields: [
              { caption: "SSH", value: "{admin_password}" },
              { caption: "Web", value: "{services_password}" },
            ],
            footer: "privatebox.dk/setup",
          },
        },
        debug: {
          port: DEBUG_PORT,
          ssh: {
            username: UNIT_SSH_USER,
            privateKeyFile: keyFile,
            // The units make a new host key at every start, as a reinstalled unit does.
            hostKeys: { policy: "any" },
            connectTimeoutMs: 5000,
          },
          // Where each unit talked to the server from (its contact, with its own SSH port): the
          // switch's ARP table holds the units' factory addresses, which do not exist on this machine.
          addressSources: ["contacts"],
          commandTimeoutMs: 10_000,
          maxOutputBytes: 256 * 1024,
        },
      },
      stationDrivers: { switch: sw, printer },
      plugins: [
        demoRoutes({
          floor: () => floor,
          buildPorts: units,
          labelPort: LABEL_PORT,
          debugPort: DEBUG_PORT,
          debugRuns: () => running?.stations?.debug?.history ?? [],
        }),
      ],
    });
    running = server;
    dropKey();
    cleanup.push(() => server.close());
    cleanup.push(async () => server.stations?.close());

    const services: UnitServices = await startUnitServices();
    cleanup.push(() => services.close());
    const contacts = server.stations?.contacts;
    floor = startBuildFloor({
      units,
      labelPort: LABEL_PORT,
      debugPort: DEBUG_PORT,
      ssh: {
        username: UNIT_SSH_USER,
        authorizedKeys: [factoryKey.public],
        // The units share this host: each tells the station's contact book its own SSH port.
        onListening: (mac, port) => contacts?.recordSshPort(mac, port),
      },
      server: server.url,
      unitToken: tokens.unit,
      dir: unitsDir,
      timing,
      services,
      switch: sim,
      events: server.events,
      ...(o.fate && { fate: o.fate }),
      ...(o.headStart && { headStart: o.headStart }),
      ...(o.random && { random: o.random }),
      logger: log.child({ part: "units" }),
    });
    const runningFloor = floor;
    cleanup.push(() => runningFloor.close());
    // The debug station is done with a unit: the technician takes it off the debug port later.
    const offDebug = server.stations?.debug?.subscribe((run) => {
      if (run.status === "stored" || run.status === "failed") runningFloor.debugDone(run.mac);
    });

    const espPorts = o.espPorts ?? 4;
    const esp =
      espPorts > 0
        ? await startEspLine({
            server: server.url,
            stationToken: tokens.station,
            dir: path.join(dir, "esp-station"),
            ports: espPorts,
            ...(o.random && { random: o.random }),
            logger: log.child({ part: "esp-station" }),
          })
        : undefined;
    if (esp) cleanup.push(() => esp.close());

    const links = {
      demo: `${server.url}/demo#token=${tokens.operator}`,
      dashboard: `${server.url}/dashboard`,
      labelStation: `${server.url}/station/label`,
      debugStation: `${server.url}/station/debug`,
      boardLine: `${server.url}/board-line`,
    };
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      dir,
      labelsDir,
      ...(esp && { recordsDir: esp.recordsDir }),
      tokens,
      links,
      server,
      switchSimulator: sim,
      floor,
      ...(esp && { esp }),
      close() {
        // Units first, then the flashing station, the label station, the switch, the server.
        closing ??= (async () => {
          offDebug?.();
          await runningFloor.close();
          await esp?.close();
          await services.close();
          await server.stations?.close();
          await sw.close();
          await sim.close();
          await server.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
