/**
 * Starts the real OpenSSH sshd on a free loopback port in a temp dir, with a password login
 * whose ForceCommand is the scripted ProCurve CLI (test-data/procurve-cli.mjs). Optionally
 * restricted to the old algorithms ProCurve firmware speaks. Needs root (it adds a test user).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SSH_USER = "factory-cli";
export const SSH_PASSWORD = "cli-test-Pw-7";

export const SSHD_PEER = {
  name: "OpenSSH server (sshd, ssh-keygen)",
  commands: ["/usr/sbin/sshd", "ssh-keygen", "useradd", "chpasswd"],
  install: "apt-get install openssh-server openssh-client",
};

export interface CliState {
  ports: Array<{ name: string; up: boolean }>;
  macs: Array<{ mac: string; port: string; vlan: number }>;
  arp: Array<{ ip: string; mac: string; port: string }>;
}

export interface SshPeer {
  port: number;
  setState(state: CliState): void;
  stop(): Promise<void>;
}

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startSshd(state: CliState, legacy = false): Promise<SshPeer> {
  const dir = mkdtempSync(path.join(tmpdir(), "procurve-sshd-"));
  chmodSync(dir, 0o755);
  const stateFile = path.join(dir, "state.json");
  const setState = (s: CliState): void => {
    // Atomic replace: the CLI script may be reading the file at this moment.
    writeFileSync(`${stateFile}.tmp`, JSON.stringify(s));
    chmodSync(`${stateFile}.tmp`, 0o644);
    renameSync(`${stateFile}.tmp`, stateFile);
  };
  setState(state);
  try {
    execFileSync("id", [SSH_USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["-M", "-d", "/nonexistent", "-s", "/bin/sh", SSH_USER]);
  }
  execFileSync("chpasswd", [], { input: `${SSH_USER}:${SSH_PASSWORD}\n` });
  mkdirSync("/run/sshd", { recursive: true });
  execFileSync("ssh-keygen", ["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", path.join(dir, "host_rsa")]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "host_ed25519")]);
  // The CLI runs as the unprivileged SSH user, who may not be able to read the checkout (a clone
  // under a 0700 directory): give it its own readable copy.
  const script = path.join(dir, "procurve-cli.mjs");
  copyFileSync(
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "test-data", "procurve-cli.mjs"),
    script,
  );
  chmodSync(script, 0o644);
  const port = await freeTcpPort();
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${path.join(dir, "host_rsa")}`,
    ...(legacy ? [] : [`HostKey ${path.join(dir, "host_ed25519")}`]),
    `PidFile ${path.join(dir, "sshd.pid")}`,
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication no",
    "UsePAM no",
    "PermitRootLogin no",
    `AllowUsers ${SSH_USER}`,
    "StrictModes no",
    "PrintMotd no",
    "PrintLastLog no",
    `ForceCommand ${process.execPath} ${script} ${stateFile}`,
    ...(legacy
      ? [
          "KexAlgorithms diffie-hellman-group14-sha1,diffie-hellman-group1-sha1",
          "HostKeyAlgorithms ssh-rsa",
          "Ciphers aes128-cbc,3des-cbc",
          "MACs hmac-sha1",
        ]
      : []),
  ].join("\n");
  writeFileSync(path.join(dir, "sshd_config"), `${config}\n`);
  const child: ChildProcess = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited: ${stderr.slice(-500)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) break;
    if (i > 100) {
      await stop();
      throw new Error("sshd did not listen");
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, setState, stop };
}
