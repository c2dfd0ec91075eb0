import { rmSync } from "node:fs";
import path from "node:path";
import { createError, ErrorCodes, type Logger, noopLogger } from "@factory/core";
import { runSimulatedUnit, type UnitFate, type UnitOutcome } from "./simulated-unit";
import type { DemoTiming } from "./timing";
import type { UnitService, UnitServices } from "./unit-services";
import { createUnitSystem, runUnitCommand, type UnitSystem } from "./unit-shell";
import { startUnitSsh, type UnitSsh } from "./unit-ssh";

/** The cable side of a switch: what a technician does on the floor (the simulated ProCurve has it). */
export interface FloorSwitch {
  plug(port: string, device: { mac: string; ip?: string }): void;
  unplug(port: string): void;
}

/** The server events the floor follows (the server's event bus). */
export interface FloorEvents {
  subscribe(
    listener: (event: {
      type: string;
      mac?: string;
      macs?: string[];
      status?: string;
      stage?: string;
    }) => void,
  ): () => void;
}

/** Where a unit is in its life on the floor. */
export type FloorUnitState =
  | "building"
  | "ready"
  | "failed"
  | "stuck"
  | "labeling"
  | "labeled"
  /** On the debug port, its logs being (or collected). */
  | "debugging";

export interface FloorUnit {
  mac: string;
  serial?: string;
  /** The stage of its last heartbeat, as the server saw it. */
  stage?: string;
  /** The build port it was built on ("1".."20"). */
  buildPort: string;
  /** The port its cable is in now: the build port, the label port, the debug port, or none. */
  pluggedInto: string | undefined;
  state: FloorUnitState;
  startedAt: Date;
  /** The TCP port its SSH server listens on (127.0.0.1) while it has its WAN address. */
  sshPort?: number;
}

/** How the units' SSH servers let the debug station in (the factory's login, baked into the image). */
export interface FloorSshAccess {
  /** The account (seed: the Proxmox `root`). */
  username: string;
  /** Public keys (OpenSSH format) that may log in. */
  authorizedKeys?: readonly string[];
  password?: string;
  /** Told where a unit's SSH server listens, before the unit's first heartbeat. */
  onListening?: (mac: string, port: number) => void;
}

export interface BuildFloorOptions {
  /** Number of build ports used, 1..20 (ports "1".."N"). */
  units: number;
  /** The label station's port (seed: "21"). */
  labelPort?: string;
  /** The debug station's port (seed: "22"). */
  debugPort?: string;
  /** Each unit answers SSH (the debug station's commands) with this login; none when absent. */
  ssh?: FloorSshAccess;
  server: string;
  unitToken: string;
  /** Root of the units' state directories. */
  dir: string;
  timing: DemoTiming;
  services: UnitServices;
  switch: FloorSwitch;
  events: FloorEvents;
  /** How the unit with sequence number `n` (0-based) ends its build; default: see {@link defaultFate}. */
  fate?: (n: number, units: number) => UnitFate;
  /**
   * Share of its build (0..1) the unit with sequence number `n` has behind it when the floor
   * starts; default: see {@link defaultHeadStart} (`() => 0` starts every unit fresh).
   */
  headStart?: (n: number, units: number) => number;
  random?: () => number;
  logger?: Logger;
}

export interface BuildFloor {
  /** Every unit on the floor now, by build port. */
  units(): FloorUnit[];
  /**
   * Moves a ready unit from its build port to the label port (link down on one, link up on the
   * other); for the unit already on the label port, unplugs and replugs it (the seed's retry
   * after a misprint). A unit on the label port and not yet labeled goes back to its build port
   * when another one is moved there.
   * Throws `NOT_FOUND` for an unknown MAC and `CONFLICT` when the unit is not ready.
   */
  moveToLabelPort(mac: string): FloorUnit;
  /**
   * Moves a failed or stuck unit from its build port to the debug port (seed: "Failed unit moved
   * to debug port 22"), where the debug station collects its logs over SSH; the unit already on
   * the debug port is taken away first (a new unit goes into its build port). For the unit on the
   * debug port, unplugs and replugs it. Throws `NOT_FOUND` for an unknown MAC and `CONFLICT` for
   * a unit that is neither failed nor stuck.
   */
  moveToDebugPort(mac: string): FloorUnit;
  /** The debug station is done with the unit: a technician takes it away after a while. */
  debugDone(mac: string): void;
  /** Stops every unit (no more heartbeats), unplugs nothing more; resolves when all agents stopped. */
  close(): Promise<void>;
}

const SERVICES: UnitService[] = ["adguard", "semaphore", "portainer", "homer"];

/**
 * The first round has a few failures (units 3, 10, 17: a service, another, isolation) and one
 * unit that goes silent (unit 6, or the last one on small floors); later units fail one time in
 * eight, a random service each.
 */
export function defaultFate(n: number, units: number, random: () => number = Math.random): UnitFate {
  if (n < units) {
    const stuckAt = units >= 8 ? 6 : units - 1;
    if (units >= 3 && n === stuckAt) return { kind: "stuck", stage: "deploying_services" };
    if (n % 7 === 3)
      return { kind: "fail", test: (["adguard", "semaphore", "isolation"] as const)[Math.floor(n / 7) % 3]! };
    return { kind: "ready" };
  }
  if (random() < 0.125) return { kind: "fail", test: SERVICES[Math.floor(random() * SERVICES.length)]! };
  return { kind: "ready" };
}

/**
 * The floor as met mid-shift: the first round's units are spread over their build (unit 0 fresh,
 * the others at staggered points up to 92 % done, in an order that does not follow the ports),
 * so a few are ready within the first half minute at the default speed, the failing unit 3 fails
 * early, and the rest follow one by one. Later units start fresh.
 */
export function defaultHeadStart(n: number, units: number): number {
  if (n >= units) return 0;
  // Golden-ratio steps: evenly spread shares, no two ports next to each other alike.
  return ((n * 0.618_034) % 1) * 0.92;
}

interface Slot {
  unit: FloorUnit;
  system: UnitSystem;
  ssh?: Promise<UnitSsh | undefined>;
  stateDir: string;
  controller: AbortController;
  run: Promise<void>;
  timer?: NodeJS.Timeout;
}

const macOf = (n: number) =>
  `02:fa:c7:00:${((n >> 8) & 0xff).toString(16).padStart(2, "0")}:${(n & 0xff).toString(16).padStart(2, "0")}`;
const ipOf = (port: string) => `192.168.100.${100 + Number(port)}`;

/** Starts the unit's SSH server; a unit whose server cannot listen builds without one (logged). */
async function startSshFor(
  unit: FloorUnit,
  system: UnitSystem,
  access: FloorSshAccess,
  log: Logger,
): Promise<UnitSsh | undefined> {
  try {
    const ssh = await startUnitSsh({
      username: access.username,
      ...(access.authorizedKeys && { authorizedKeys: access.authorizedKeys }),
      ...(access.password !== undefined && { password: access.password }),
      run: (command) => runUnitCommand(system, command),
      logger: log,
    });
    unit.sshPort = ssh.port;
    access.onListening?.(unit.mac, ssh.port);
    return ssh;
  } catch (error) {
    log.warn("the unit's SSH server did not start", { mac: unit.mac, error: String(error) });
    return undefined;
  }
}

async function closeSsh(unit: FloorUnit, ssh: Promise<UnitSsh | undefined> | undefined): Promise<void> {
  const server = await ssh;
  delete unit.sshPort;
  await server?.close();
}

/**
 * The appliance line's floor: one simulated unit per build port, plugged into the switch, each
 * building and reporting over HTTP. Failed and stuck units are taken away after a while, labeled
 * units are packed; a new unit is plugged into the freed port after a pause, so the line keeps
 * going.
 */
export function startBuildFloor(o: BuildFloorOptions): BuildFloor {
  if (!Number.isInteger(o.units) || o.units < 1 || o.units > 20) {
    throw createError("demo", ErrorCodes.INVALID_ARGUMENT, `units must be from 1 to 20, not ${o.units}`);
  }
  const log = o.logger ?? noopLogger;
  const random = o.random ?? Math.random;
  const labelPort = o.labelPort ?? "21";
  const debugPort = o.debugPort ?? "22";
  const slots = new Map<string, Slot>();
  const timers = new Set<NodeJS.Timeout>();
  const sshClosing = new Set<Promise<void>>();
  let sequence = 0;
  let closed = false;

  const startSsh = (unit: FloorUnit, system: UnitSystem, access: FloorSshAccess) =>
    startSshFor(unit, system, access, log.child({ unit: unit.mac }));

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const start = (port: string) => {
    if (closed) return;
    const n = sequence++;
    const mac = macOf(n + 1);
    const fate = (o.fate ?? ((i, u) => defaultFate(i, u, random)))(n, o.units);
    const unit: FloorUnit = {
      mac,
      buildPort: port,
      pluggedInto: port,
      state: "building",
      startedAt: new Date(),
    };
    const controller = new AbortController();
    const stateDir = path.join(o.dir, mac.replaceAll(":", ""));
    const system = createUnitSystem({ mac, ip: ipOf(port), stateDir });
    const ssh = o.ssh && startSsh(unit, system, o.ssh);
    o.switch.plug(port, { mac, ip: ipOf(port) });
    // The unit's SSH server is up before it first talks to the server (its address is known by then).
    const run = Promise.resolve(ssh)
      .then(() =>
        runSimulatedUnit({
          mac,
          port,
          ip: ipOf(port),
          server: o.server,
          token: o.unitToken,
          stateDir,
          timing: o.timing,
          fate,
          headStart: (o.headStart ?? defaultHeadStart)(n, o.units),
          services: o.services,
          system,
          random,
          logger: log.child({ unit: mac, port }),
          signal: controller.signal,
          onSerial: (serial) => {
            unit.serial = serial;
          },
        }),
      )
      .then((outcome: UnitOutcome) => {
        if (outcome === "ready") {
          unit.state = "ready";
          // Isolated: no WAN address any more, so nothing answers SSH there.
          void closeSsh(unit, ssh);
        }
        if (outcome === "failed") {
          unit.state = "failed";
          later(o.timing.removeAfterMs, () => takeAway(port, unit));
        }
      })
      .catch((error: unknown) => {
        log.error("simulated unit stopped with an error", { mac, error: String(error) });
        unit.state = "failed";
        later(o.timing.removeAfterMs, () => takeAway(port, unit));
      });
    slots.set(port, { unit, system, ...(ssh && { ssh }), stateDir, controller, run });
    log.info("unit plugged in", { mac, port, fate: fate.kind });
  };

  /** The unit leaves the floor: its agent stops and its disk (credentials, reports) goes with it. */
  const leave = (slot: Slot) => {
    slot.controller.abort();
    const closing = closeSsh(slot.unit, slot.ssh);
    sshClosing.add(closing);
    void closing.finally(() => sshClosing.delete(closing));
    if (slot.unit.pluggedInto) o.switch.unplug(slot.unit.pluggedInto);
    slot.unit.pluggedInto = undefined;
    void slot.run.finally(() => rmSync(slot.stateDir, { recursive: true, force: true }));
  };

  /**
   * A technician takes a failed or stuck unit away; a new one goes in. A unit on the debug port
   * stays until the debug station is done with it (`force` then).
   */
  const takeAway = (port: string, unit: FloorUnit, force = false) => {
    const slot = slots.get(port);
    if (!slot || slot.unit !== unit) return;
    if (unit.state === "debugging" && !force) return;
    leave(slot);
    later(o.timing.replugMs, () => start(port));
  };

  const off = o.events.subscribe((event) => {
    if (event.type === "stuck") {
      for (const slot of slots.values()) {
        if (event.macs?.includes(slot.unit.mac) && slot.unit.state === "building") {
          slot.unit.state = "stuck";
          const unit = slot.unit;
          later(o.timing.removeAfterMs, () => takeAway(unit.buildPort, unit));
        }
      }
      return;
    }
    if (event.type === "unit" && event.stage) {
      for (const slot of slots.values()) if (slot.unit.mac === event.mac) slot.unit.stage = event.stage;
    }
    const done = (event.type === "unit" && event.status === "labeled") || event.type === "unit.deleted";
    if (!done) return;
    for (const [port, slot] of slots) {
      if (slot.unit.mac !== event.mac || slot.unit.state !== "labeling") continue;
      slot.unit.state = "labeled";
      const current = slot;
      // Packed and shipped: off the label port, and a new unit on the build port.
      later(o.timing.replugMs, () => {
        if (slots.get(port) !== current) return;
        leave(current);
        start(port);
      });
    }
  });

  for (let i = 1; i <= o.units; i += 1) {
    const port = String(i);
    // The floor is met mid-shift: every port already has its unit, heard from within a second or two.
    later(Math.min(o.timing.scale(i - 1), 100 * (i - 1)), () => start(port));
  }

  return {
    units: () =>
      [...slots.values()]
        .map((s) => ({ ...s.unit }))
        .sort((a, b) => Number(a.buildPort) - Number(b.buildPort)),
    moveToLabelPort(mac) {
      const slot = [...slots.values()].find((s) => s.unit.mac === mac);
      if (!slot) throw createError("demo", ErrorCodes.NOT_FOUND, `No unit ${mac} on the floor`);
      const unit = slot.unit;
      if (unit.state === "labeling") {
        // Seed: after a misprint the operator replugs the unit into the label port to print again.
        o.switch.unplug(labelPort);
        later(500, () => {
          if (unit.pluggedInto === labelPort && unit.state === "labeling")
            o.switch.plug(labelPort, { mac, ip: ipOf(unit.buildPort) });
        });
        log.info("unit replugged into the label port", { mac });
        return { ...unit };
      }
      if (unit.state !== "ready") {
        throw createError(
          "demo",
          ErrorCodes.CONFLICT,
          `Unit ${mac} is ${unit.state}, not ready for labeling`,
        );
      }
      for (const other of slots.values()) {
        if (other.unit.pluggedInto === labelPort && other.unit.state === "labeling") {
          o.switch.unplug(labelPort);
          other.unit.state = "ready";
          other.unit.pluggedInto = other.unit.buildPort;
          o.switch.plug(other.unit.buildPort, { mac: other.unit.mac, ip: ipOf(other.unit.buildPort) });
        }
      }
      o.switch.unplug(unit.buildPort);
      o.switch.plug(labelPort, { mac, ip: ipOf(unit.buildPort) });
      unit.pluggedInto = labelPort;
      unit.state = "labeling";
      log.info("unit moved to the label port", { mac, from: unit.buildPort, to: labelPort });
      return { ...unit };
    },
    moveToDebugPort(mac) {
      const slot = [...slots.values()].find((s) => s.unit.mac === mac);
      if (!slot) throw createError("demo", ErrorCodes.NOT_FOUND, `No unit ${mac} on the floor`);
      const unit = slot.unit;
      if (unit.state === "debugging") {
        if (unit.pluggedInto !== debugPort)
          throw createError("demo", ErrorCodes.CONFLICT, `Unit ${mac} was taken off the debug port`);
        // Unplugged and plugged in again: the station sees it arrive once more and collects again.
        o.switch.unplug(debugPort);
        later(500, () => {
          if (unit.pluggedInto === debugPort && unit.state === "debugging")
            o.switch.plug(debugPort, { mac, ip: ipOf(unit.buildPort) });
        });
        log.info("unit replugged into the debug port", { mac });
        return { ...unit };
      }
      if (unit.state !== "failed" && unit.state !== "stuck") {
        throw createError(
          "demo",
          ErrorCodes.CONFLICT,
          `Unit ${mac} is ${unit.state}: only failed and stuck units go to the debug port`,
        );
      }
      for (const other of slots.values()) {
        if (other.unit.pluggedInto === debugPort) takeAway(other.unit.buildPort, other.unit, true);
      }
      o.switch.unplug(unit.buildPort);
      o.switch.plug(debugPort, { mac, ip: ipOf(unit.buildPort) });
      unit.pluggedInto = debugPort;
      unit.state = "debugging";
      log.info("unit moved to the debug port", { mac, from: unit.buildPort, to: debugPort });
      return { ...unit };
    },
    debugDone(mac) {
      const slot = [...slots.values()].find((s) => s.unit.mac === mac && s.unit.state === "debugging");
      if (!slot) return;
      const unit = slot.unit;
      // Off to the bench (reformatted and retried, or set aside); a new unit on its build port.
      later(o.timing.removeAfterMs, () => {
        if (unit.state === "debugging") takeAway(unit.buildPort, unit, true);
      });
    },
    async close() {
      closed = true;
      off();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const slot of slots.values()) slot.controller.abort();
      await Promise.allSettled([...slots.values()].map((s) => s.run));
      await Promise.allSettled([...slots.values()].map((s) => closeSsh(s.unit, s.ssh)));
      await Promise.allSettled(sshClosing);
    },
  };
}
