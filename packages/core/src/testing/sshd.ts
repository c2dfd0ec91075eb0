import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { PeerCheck } from "./peers";

/** The real OpenSSH server, for `requirePeer`. Starting it needs root (it adds a local account). */
export const OPENSSH_PEER: PeerCheck = {
  name: "OpenSSH server (sshd, ssh-keygen) as root",
  commands: ["/usr/sbin/sshd", "ssh-keygen", "useradd", "chpasswd"],
  install: "apt-get install openssh-server openssh-client (and run the tests as root)",
};

export interface OpenSshdOptions {
  /** Local account the tests log in as; created when missing (`useradd`), password set each start. */
  user: string;
  password: string;
  /** The account's home when it is created (default `/nonexistent`). */
  home?: string;
  /** Generate a client ed25519 key and authorize it (public-key login). */
  clientKey?: boolean;
  /** Every session runs this command instead of the requested one (`ForceCommand`); given the temp dir. */
  forceCommand?: string | ((dir: string) => string);
  /** Only an RSA host key and the SHA-1 / CBC algorithms old switch firmware speaks. */
  legacyAlgorithms?: boolean;
  /** Called with the temp dir (0755) before sshd starts: put the files the sessions read there. */
  prepare?(dir: string): void;
}

export interface OpenSshd {
  port: number;
  /** Temp dir holding keys and config; removed by `stop`. */
  dir: string;
  /** `SHA256:…` fingerprint of the host key sessions see. */
  hostKeySha256: string;
  /** The authorized client key (OpenSSH format) when `clientKey` was asked for. */
  clientKey?: string;
  clientKeyFile?: string;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (closed again before returning). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the real OpenSSH `sshd` on a free loopback port from a temp dir, with a password login
 * for `user` (and a key login when asked), in the foreground of a child process. `stop` ends it
 * and removes the dir. Needs root: guard the suite with `requirePeer(OPENSSH_PEER)` and a root check.
 *
 * @example
 * const sshd = await startOpenSshd({ user: "factory-unit", password: "pw", clientKey: true });
 * // connect with ssh2 to 127.0.0.1:sshd.port …
 * await sshd.stop();
 */
export async function startOpenSshd(o: OpenSshdOptions): Promise<OpenSshd> {
  const dir = mkdtempSync(path.join(tmpdir(), "factory-sshd-"));
  chmodSync(dir, 0o755);
  try {
    execFileSync("id", [o.user], { stdio: "ignore" });
  } catch {
    execFileSync("useradd", ["-M", "-d", o.home ?? "/nonexistent", "-s", "/bin/sh", o.user]);
  }
  execFileSync("chpasswd", [], { input: `${o.user}:${o.password}\n` });
  mkdirSync("/run/sshd", { recursive: true });
  const hostKey = path.join(dir, o.legacyAlgorithms ? "host_rsa" : "host_ed25519");
  const keyType = o.legacyAlgorithms ? ["-t", "rsa", "-b", "2048"] : ["-t", "ed25519"];
  execFileSync("ssh-keygen", ["-q", ...keyType, "-N", "", "-f", hostKey]);
  const hostKeySha256 = execFileSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${hostKey}.pub`], {
    encoding: "utf8",
  }).split(" ")[1]!;
  let clientKeyFile: string | undefined;
  const authorized = path.join(dir, "authorized_keys");
  if (o.clientKey) {
    clientKeyFile = path.join(dir, "client_ed25519");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", clientKeyFile]);
    writeFileSync(authorized, readFileSync(`${clientKeyFile}.pub`));
    chmodSync(authorized, 0o644);
  }
  o.prepare?.(dir);
  const port = await freeTcpPort();
  const config = [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, "sshd.pid")}`,
    "PasswordAuthentication yes",
    "KbdInteractiveAuthentication no",
    ...(o.clientKey
      ? ["PubkeyAuthentication yes", `AuthorizedKeysFile ${authorized}`]
      : ["PubkeyAuthentication no"]),
    "UsePAM no",
    "PermitRootLogin no",
    `AllowUsers ${o.user}`,
    "StrictModes no",
    "PrintMotd no",
    "PrintLastLog no",
    ...(o.forceCommand
      ? [`ForceCommand ${typeof o.forceCommand === "function" ? o.forceCommand(dir) : o.forceCommand}`]
      : []),
    ...(o.legacyAlgorithms
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
    stderr = (stderr + c.toString()).slice(-4000);
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
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sshd exited: ${stderr.slice(-500)}`);
    }
    if (await accepts(port)) break;
    if (i > 100) {
      await stop();
      throw new Error(`sshd did not listen on 127.0.0.1:${port} within 5 s`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    dir,
    hostKeySha256,
    ...(clientKeyFile && { clientKey: readFileSync(clientKeyFile, "utf8"), clientKeyFile }),
    stop,
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}
