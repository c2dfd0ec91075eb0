/**
 * Starts the real OpenSSH sshd on a free loopback port in a temp dir, standing in for a unit on
 * the debug port: a local account `factory-unit` (key and password login, /bin/sh) whose
 * commands run for real on this machine. Needs root (it adds the account).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const UNIT_USER = "factory-unit";
export const UNIT_PASSWORD = "unit-debug-Pw-9";

export const SSHD_PEER = {
  name: "OpenSSH server (sshd, ssh-keygen) as root",
  commands: ["/usr/sbin/sshd", "ssh-keygen", "useradd", "chpasswd"],
  install: "apt-get install openssh-server openssh-client (and run the tests as root)",
};

export const isRoot = () => process.getuid?.() === 0;

export interface UnitSshd {
  port: number;
  dir: string;
  /** The client's private key (OpenSSH format). */
  clientKey: string;
  clientKeyFile: string;
  /** `SHA256:…` of the server's host key. */
  hostKeySha256: string;
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

export async function startUnitSshd(): Promise<UnitSshd> {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-unit-sshd-"));
  chmodSync(dir, 0o755);
  try {
    execFileSync("id", [UNIT_USER], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["-M", "-d", "/tmp", "-s", "/bin/sh", UNIT_USER]);
  }
  execFileSync("chpasswd", [], { input: `${UNIT_USER}:${UNIT_PASSWORD}\n` });
  execFileSync("mkdir", ["-p", "/run/sshd"]);
  const hostKey = path.join(dir, "host_ed25519");
  const clientKeyFile = path.join(dir, "client_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKeyFile]);
  const authorized = path.join(dir, "authorized_keys");
  writeFileSync(authorized, readFileSync(`${clientKeyFile}.pub`));
  chmodSync(authorized, 0o644);
  const hostKeySha256 = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${hostKey}.pub`], {
    encoding: "utf8",
  }).split(" ")[1]!;
  const port = await freeTcpPort();
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${authorized}`,
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication no",
    "PubkeyAuthentication yes",
    "UsePAM no",
    "PermitRootLogin no",
    `AllowUsers ${UNIT_USER}`,
    "StrictModes no",
    "PrintMotd no",
    "PrintLastLog no",
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
  return { port, dir, clientKey: readFileSync(clientKeyFile, "utf8"), clientKeyFile, hostKeySha256, stop };
}
