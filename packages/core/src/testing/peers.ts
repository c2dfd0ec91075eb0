import { execFileSync } from "node:child_process";

/**
 * Test tiers that need a real third-party program (PostgreSQL, snmpsimd, sshd, cupsd, avrdude,
 * stm32flash, chromium): in CI (`CI` set) a missing peer fails the run; on a developer's machine
 * the tests skip with a message that says how to install it.
 */
export interface PeerCheck {
  /** Shown in the skip message: `PostgreSQL server (initdb, pg_ctl)`. */
  name: string;
  /** Executables that must be on PATH or given as absolute paths. */
  commands: readonly string[];
  /** How to install it: `apt-get install postgresql`. */
  install: string;
}

/** True when every command of the peer can be found. */
export function peerAvailable(check: PeerCheck): boolean {
  return check.commands.every((command) => findCommand(command) !== undefined);
}

/** The absolute path of `command`, looking in PATH and the usual sbin and versioned directories. */
export function findCommand(command: string): string | undefined {
  if (command.startsWith("/")) {
    try {
      execFileSync("test", ["-x", command]);
      return command;
    } catch {
      return undefined;
    }
  }
  const extra = "/usr/sbin:/sbin:/usr/local/sbin";
  try {
    const out = execFileSync("sh", ["-c", `command -v ${shellQuote(command)}`], {
      env: { ...process.env, PATH: `${process.env.PATH ?? ""}:${extra}` },
      encoding: "utf8",
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Decides whether a peer-backed test suite runs. Returns true when the peer is there; when it
 * is missing, throws in CI and returns false locally (after printing how to install it).
 *
 * @example
 * const hasPg = requirePeer({ name: "PostgreSQL", commands: ["initdb", "pg_ctl"], install: "apt-get install postgresql" });
 * describe.runIf(hasPg)("PostgreSQL store", () => { … });
 */
export function requirePeer(check: PeerCheck): boolean {
  if (peerAvailable(check)) return true;
  const message = `${check.name} is not installed (${check.commands.join(", ")}). Install it with: ${check.install}`;
  if (process.env.CI) throw new Error(`[core/testing] ${message}. CI runs every peer-backed test.`);
  process.stderr.write(`[skip] ${message}\n`);
  return false;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}
