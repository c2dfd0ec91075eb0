import { readFile } from "node:fs/promises";
import path from "node:path";
import type { UnitService } from "./unit-services";

/**
 * What a simulated unit's system looks like from a shell: the state its build left it in. The
 * unit's run updates it as it goes; the unit's SSH server answers commands from it.
 */
export interface UnitSystem {
  mac: string;
  /** The WAN address the factory DHCP gave it (on `vmbr0` until isolation removes it). */
  ip: string;
  /** Real files of the simulated unit: `/tmp/privatebox-bootstrap.log` and the guest setup log. */
  files: { bootstrap: string; guestSetup: string };
  /** The services whose containers fail to start. */
  failing: readonly UnitService[];
  /** The build stage it is in (or reached last). */
  stage: string;
  /** When the services were started (`deploying_services` finished); unset before. */
  servicesAt?: Date;
  /** The build hung (a stuck unit): the services never started. */
  hung: boolean;
  /** `false` once the isolation step removed the WAN address (the unit no longer answers there). */
  wan: boolean;
  /** When OPNsense came up (the LAN bridge with 10.10.20.20 exists from then). */
  opnsenseAt?: Date;
}

/** A fresh unit's system: WAN address up, nothing deployed, its two log files in `stateDir`. */
export function createUnitSystem(o: { mac: string; ip: string; stateDir: string }): UnitSystem {
  return {
    mac: o.mac,
    ip: o.ip,
    files: {
      bootstrap: path.join(o.stateDir, "privatebox-bootstrap.log"),
      guestSetup: path.join(o.stateDir, "privatebox-guest-setup.log"),
    },
    failing: [],
    stage: "installing_proxmox",
    hung: false,
    wan: true,
  };
}

/** The systemd units of the services a self-test checks, with what their containers print when they fail. */
const SYSTEMD: Partial<Record<UnitService, { unit: string; description: string; error: string }>> = {
  portainer: {
    unit: "portainer.service",
    description: "Portainer",
    error: 'level=fatal msg="failed opening store" error="open /data/portainer.db: read-only file system"',
  },
  semaphore: {
    unit: "semaphore.service",
    description: "Semaphore",
    error: "error: database migration failed: dial tcp 10.10.20.10:5432: connect: connection refused",
  },
  adguard: {
    unit: "adguard.service",
    description: "AdGuard Home",
    error: "[fatal] starting dns server: listen udp 0.0.0.0:53: bind: address already in use",
  },
  homer: {
    unit: "homer.service",
    description: "Homer dashboard",
    error: 'nginx: [emerg] open() "/www/assets/config.yml" failed (2: No such file or directory)',
  },
};

/** The guest setup log's lines once the services were started, as the unit's setup script writes them. */
export function guestSetupLines(system: UnitSystem): string[] {
  const lines = ["guest setup: management VM up at 10.10.20.10", "guest setup: starting containers"];
  for (const [service, s] of Object.entries(SYSTEMD)) {
    if (system.failing.includes(service as UnitService)) {
      lines.push(`${s.unit}: container exited with code 1: ${s.error}`);
      lines.push(`guest setup: ${service} FAILED (see journalctl -u ${s.unit})`);
    } else lines.push(`${s.unit}: started`);
  }
  lines.push(system.failing.length ? "guest setup: finished with errors" : "guest setup: finished");
  return lines;
}

export interface ShellResult {
  output: string;
  code: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const two = (n: number) => String(n).padStart(2, "0");
/** journalctl's short timestamp (local time), `Dec 05 16:01:02`. */
const stamp = (d: Date) =>
  `${MONTHS[d.getMonth()]} ${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
const later = (d: Date, seconds: number) => new Date(d.getTime() + seconds * 1000);

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

function journal(system: UnitSystem, unit: string): string {
  const entry = Object.values(SYSTEMD).find((s) => s.unit === unit || s.unit === `${unit}.service`);
  if (!entry || !system.servicesAt) return "-- No entries --\n";
  const t = system.servicesAt;
  const service = Object.keys(SYSTEMD).find((k) => SYSTEMD[k as UnitService] === entry) as UnitService;
  const line = (dt: number, who: string, text: string) => `${stamp(later(t, dt))} privatebox ${who}: ${text}`;
  const lines = [line(0, "systemd[1]", `Starting ${entry.unit} - ${entry.description}...`)];
  if (system.failing.includes(service)) {
    lines.push(
      line(1, "docker[2187]", entry.error),
      line(1, "docker[2187]", `${service}: container exited with code 1`),
      line(1, "systemd[1]", `${entry.unit}: Main process exited, code=exited, status=1/FAILURE`),
      line(1, "systemd[1]", `${entry.unit}: Failed with result 'exit-code'.`),
      line(1, "systemd[1]", `Failed to start ${entry.unit} - ${entry.description}.`),
    );
  } else {
    lines.push(
      line(1, "systemd[1]", `Started ${entry.unit} - ${entry.description}.`),
      line(2, "docker[2187]", `${service}: ready`),
    );
  }
  return `${lines.join("\n")}\n`;
}

function failedUnits(system: UnitSystem): string {
  const failed = system.servicesAt
    ? Object.entries(SYSTEMD).filter(([service]) => system.failing.includes(service as UnitService))
    : [];
  const width = Math.max(4, ...failed.map(([, s]) => s.unit.length));
  const rows = failed.map(([, s]) => `● ${s.unit.padEnd(width)} loaded failed failed ${s.description}`);
  return [
    `  ${"UNIT".padEnd(width)} LOAD   ACTIVE SUB    DESCRIPTION`,
    ...rows,
    "",
    "LOAD   = Reflects whether the unit definition was properly loaded.",
    "ACTIVE = The high-level unit activation state, i.e. generalization of SUB.",
    "SUB    = The low-level unit activation state, values depend on unit type.",
    `${rows.length} loaded units listed.`,
    "",
  ].join("\n");
}

function addresses(system: UnitSystem): string {
  const flags = "<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500";
  const lines = [
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000",
    "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
    "    inet 127.0.0.1/8 scope host lo",
    "       valid_lft forever preferred_lft forever",
    `2: enp1s0: ${flags} qdisc pfifo_fast master vmbr0 state UP group default qlen 1000`,
    `    link/ether ${system.mac} brd ff:ff:ff:ff:ff:ff`,
    `3: vmbr0: ${flags} qdisc noqueue state UP group default qlen 1000`,
    `    link/ether ${system.mac} brd ff:ff:ff:ff:ff:ff`,
  ];
  if (system.wan)
    lines.push(
      `    inet ${system.ip}/24 brd 192.168.100.255 scope global dynamic vmbr0`,
      "       valid_lft 85113sec preferred_lft 85113sec",
    );
  if (system.opnsenseAt)
    lines.push(
      `4: vmbr1: ${flags} qdisc noqueue state UP group default qlen 1000`,
      "    inet 10.10.20.20/24 scope global vmbr1",
      "       valid_lft forever preferred_lft forever",
    );
  return `${lines.join("\n")}\n`;
}

function listening(): string {
  const rows: [string, string][] = [
    ["0.0.0.0:22", 'users:(("sshd",pid=812,fd=3))'],
    ["127.0.0.1:25", 'users:(("master",pid=1003,fd=13))'],
    ["127.0.0.1:85", 'users:(("pvedaemon",pid=1011,fd=6))'],
    ["*:8006", 'users:(("pveproxy",pid=1020,fd=6))'],
    ["*:3128", 'users:(("spiceproxy",pid=1026,fd=6))'],
  ];
  return `${[
    "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process",
    ...rows.map(([local, proc]) => `LISTEN 0      4096   ${local.padEnd(18)} 0.0.0.0:*         ${proc}`),
  ].join("\n")}\n`;
}

const FILE_ITEM = /^if \[ -e '([^']*)' \]; then cat -- '\1'; else exit (\d+); fi$/;
const CAT = /^cat(?: --)? ('?)([^' ]+)\1$/;

/**
 * Runs one command line on the simulated unit: the debug station's log list (its files read as
 * `if [ -e 'F' ]; then cat -- 'F'; else exit N; fi` or `cat F`, `journalctl -u <unit>`,
 * `systemctl --failed`, `ip addr show`, `ss -tlnp`) with output following the unit's state.
 * Anything else answers as a shell does for an unknown command (exit status 127).
 */
export async function runUnitCommand(system: UnitSystem, commandLine: string): Promise<ShellResult> {
  const line = commandLine.trim();
  const pathOf = (file: string) =>
    file === "/tmp/privatebox-bootstrap.log"
      ? system.files.bootstrap
      : file === "/var/log/privatebox-guest-setup.log"
        ? system.files.guestSetup
        : undefined;
  const item = FILE_ITEM.exec(line);
  const cat = CAT.exec(line);
  if (item || cat) {
    const file = item ? item[1]! : cat![2]!;
    const local = pathOf(file);
    const text = local ? await readOrNull(local) : null;
    if (text !== null) return { output: text, code: 0 };
    return item
      ? { output: "", code: Number(item[2]) }
      : { output: `cat: ${file}: No such file or directory\n`, code: 1 };
  }
  const words = line.split(/\s+/);
  const flags = new Set(words.slice(1));
  if (words[0] === "journalctl") {
    const u = words.indexOf("-u");
    const unit = u > 0 ? words[u + 1] : undefined;
    if (!unit) return { output: "journalctl: this unit answers only `journalctl -u <unit>`\n", code: 1 };
    return { output: journal(system, unit), code: 0 };
  }
  if (words[0] === "systemctl" && flags.has("--failed")) return { output: failedUnits(system), code: 0 };
  if (
    words[0] === "ip" &&
    ["addr", "a", "address"].includes(words[1] ?? "") &&
    ["show", undefined].includes(words[2])
  )
    return { output: addresses(system), code: 0 };
  if (words[0] === "ss" && words[1] === "-tlnp" && words.length === 2)
    return { output: listening(), code: 0 };
  if (words[0] === "hostname" && words.length === 1) return { output: "privatebox\n", code: 0 };
  return { output: `bash: ${words[0]}: command not found\n`, code: 127 };
}
