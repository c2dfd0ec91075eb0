/**
 * The real OpenSSH sshd with a password login whose ForceCommand is the scripted ProCurve CLI
 * (test-data/procurve-cli.mjs), optionally restricted to the old algorithms ProCurve firmware
 * speaks. Needs root (it adds a test user).
 */
import { chmodSync, copyFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OPENSSH_PEER, startOpenSshd } from "@factory/core/testing";

export const SSH_USER = "factory-cli";
export const SSH_PASSWORD = "cli-test-Pw-7";
export const SSHD_PEER = OPENSSH_PEER;

export interface CliState {
  ports: Array<{ name: string; up: boolean }>;
  macs: Array<{ mac: string; port: string; vlan: number }>;
  arp: Array<{ ip: string; mac: string; port: string }>;
  /** false: `show mac-address <port>` without the VLANs column (older firmware). */
  portTableVlans?: boolean;
  /** false: `show mac-address <port-list>` refused with `Invalid input`. */
  portLists?: boolean;
  /** A file every command line is appended to. */
  commandLog?: string;
}

export interface SshPeer {
  port: number;
  setState(state: CliState): void;
  stop(): Promise<void>;
}

const cliScript = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "test-data",
  "procurve-cli.mjs",
);

export async function startSshd(state: CliState, legacy = false): Promise<SshPeer> {
  let stateFile = "";
  const setState = (s: CliState): void => {
    // Atomic replace: the CLI script may be reading the file at this moment.
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(s));
    chmodSync(`${stateFile}.tmp`, 0o644);
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  const sshd = await startOpenSshd({
    user: SSH_USER,
    password: SSH_PASSWORD,
    legacyAlgorithms: legacy,
    prepare(dir) {
      stateFile = path.join(dir, "state.json");
      setState(state);
      // The CLI runs as the unprivileged SSH user, who may not be able to read the checkout (a
      // clone under a 0700 directory): give it its own readable copy.
      copyFileSync(cliScript, path.join(dir, "procurve-cli.mjs"));
      chmodSync(path.join(dir, "procurve-cli.mjs"), 0o644);
    },
    forceCommand: (dir) => `${process.execPath} ${path.join(dir, "procurve-cli.mjs")} ${stateFile}`,
  });
  return { port: sshd.port, setState, stop: sshd.stop };
}
